import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { SandboxLogger } from './local-provider';

/** The egress proxy local sandboxes use: where its socket is and the key their credentials are signed with. */
export interface LocalEgressProxy {
  socketPath: string;
  signingKey: string;
}

const READY = /stratus egress proxy listening/;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * One egress proxy (apps/egress-proxy) per worker process, started on first need and listening on a
 * Unix socket that is bound into each sandbox that may have traffic. Its signing key is made up here
 * and lives only in this process and the proxy's environment, so credentials die with the worker.
 * It runs with its defaults: loopback, private and other special addresses are refused, so the
 * host's own services stay out of reach through it too.
 */
export class EgressProxyProcess {
  private running?: Promise<LocalEgressProxy>;
  private child?: ChildProcess;

  constructor(
    private readonly options: { nodePath: string; entry: string; socketPath: string; logger: SandboxLogger; readyTimeoutMs: number },
  ) {}

  /** The running proxy, starting it if needed. */
  async get(): Promise<LocalEgressProxy> {
    this.running ??= this.start().catch((error: unknown) => {
      this.running = undefined;
      throw error;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.running = undefined;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    await once(child, 'exit');
    clearTimeout(timer);
  }

  private async start(): Promise<LocalEgressProxy> {
    const signingKey = randomBytes(32).toString('base64url');
    const child = spawn(this.options.nodePath, [this.options.entry], {
      env: { PATH: SYSTEM_PATH, STRATUS_EGRESS_PROXY_SOCKET: this.options.socketPath, STRATUS_EGRESS_PROXY_SIGNING_KEYS: signingKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    const lines = createInterface({ input: child.stdout });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`egress proxy not ready after ${this.options.readyTimeoutMs} ms: ${stderr}`)), this.options.readyTimeoutMs);
        lines.on('line', (line) => {
          if (READY.test(line)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('error', reject);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`egress proxy exited (code ${code}) before it was ready: ${stderr}`));
        });
      });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    // Refusals reach the worker's log (what a sandbox tried and was denied); the rest is drained.
    lines.on('line', (line) => {
      const entry = parseLogLine(line);
      if (entry?.msg === 'egress refused') this.options.logger.warn(entry, 'egress refused');
    });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.running = undefined;
      this.child = undefined;
      this.options.logger.warn({ code, signal, stderr }, 'local egress proxy exited; it is restarted for the next sandbox');
    });
    return { socketPath: this.options.socketPath, signingKey };
  }
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
