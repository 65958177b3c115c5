import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { SandboxHandle, SandboxProvider, SandboxSpec } from '../provider';
import { bwrapArgs, findExecutable } from './bwrap';
import { RunnerProcess } from './runner-process';
import { resolveRunnerInstall, type RunnerInstall } from './runner-install';

/** The part of a pino logger this provider uses. */
export interface SandboxLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface LocalSandboxProviderOptions {
  /** One directory per session is created below it (workspace, runner socket, scratch space). */
  baseDir: string;
  /**
   * 'auto' (default): bubblewrap when `bwrap` is on PATH, otherwise a plain process and a warning.
   * 'bwrap': refuse to start without it. 'none': always a plain process.
   */
  isolation?: 'auto' | 'bwrap' | 'none';
  /** How long the runner may take to print its ready line; default 10 s. */
  readyTimeoutMs?: number;
  /** Defaults to the built @stratus/sandbox-runner this package depends on. */
  runner?: RunnerInstall;
  /** Defaults to the Node.js running this process. */
  nodePath?: string;
  logger?: SandboxLogger;
}

interface LocalSandbox {
  handle: SandboxHandle;
  process: RunnerProcess;
}

/** Session ids become directory names; anything else could walk out of the base directory. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** sun_path is 108 bytes on Linux including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Real paths of those directories that exist (a tmpfs needs an existing mount point). */
async function existingRealDirs(dirs: string[]): Promise<string[]> {
  const real = await Promise.all(dirs.map((dir) => realpath(dir).catch(() => undefined)));
  return real.filter((dir) => dir !== undefined);
}

const defaultLogger: SandboxLogger = {
  warn: (_details, message) => process.emitWarning(message),
};

/**
 * Sandboxes as local processes: one sandbox-runner per session, under bubblewrap when available,
 * reached over a Unix socket in the session's directory. For laptops, all-in-one mode and tests.
 */
export class LocalSandboxProvider implements SandboxProvider {
  /** How sandboxes are isolated, decided once when the provider is created. */
  readonly isolation: 'bwrap' | 'none';
  private readonly bwrapPath: string | undefined;
  private readonly sandboxes = new Map<string, LocalSandbox>();
  private readonly starting = new Map<string, Promise<LocalSandbox>>();
  private readonly nodePath: string;
  private readonly logger: SandboxLogger;
  private readonly readyTimeoutMs: number;

  constructor(private readonly options: LocalSandboxProviderOptions) {
    this.nodePath = options.nodePath ?? process.execPath;
    this.logger = options.logger ?? defaultLogger;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    const mode = options.isolation ?? 'auto';
    this.bwrapPath = mode === 'none' ? undefined : findExecutable('bwrap');
    if (mode === 'bwrap' && this.bwrapPath === undefined) {
      throw new Error('isolation "bwrap" was requested but bwrap is not on PATH (apt-get install bubblewrap)');
    }
    this.isolation = this.bwrapPath === undefined ? 'none' : 'bwrap';
    if (mode === 'auto' && this.isolation === 'none') {
      this.logger.warn(
        { isolation: 'none' },
        'bwrap not found: local sandboxes run as plain processes with the worker\'s file and network access; install bubblewrap to isolate them',
      );
    }
  }

  async provision(spec: SandboxSpec): Promise<SandboxHandle> {
    if (!SESSION_ID.test(spec.sessionId)) throw new Error(`invalid session id for a sandbox directory: ${spec.sessionId}`);
    const running = this.sandboxes.get(spec.sessionId);
    if (running) return running.handle;
    let starting = this.starting.get(spec.sessionId);
    if (!starting) {
      starting = this.start(spec).finally(() => this.starting.delete(spec.sessionId));
      this.starting.set(spec.sessionId, starting);
    }
    return (await starting).handle;
  }

  async get(sessionId: string): Promise<SandboxHandle | undefined> {
    return this.sandboxes.get(sessionId)?.handle;
  }

  async destroy(sessionId: string): Promise<void> {
    await this.starting.get(sessionId)?.catch(() => undefined);
    const sandbox = this.sandboxes.get(sessionId);
    this.sandboxes.delete(sessionId);
    await sandbox?.process.stop();
    if (SESSION_ID.test(sessionId)) await rm(this.sessionDir(sessionId), { recursive: true, force: true });
  }

  async shutdown(): Promise<void> {
    const ids = new Set([...this.sandboxes.keys(), ...this.starting.keys()]);
    await Promise.all([...ids].map((id) => this.destroy(id)));
  }

  private sessionDir(sessionId: string): string {
    return path.join(this.options.baseDir, sessionId);
  }

  private async start(spec: SandboxSpec): Promise<LocalSandbox> {
    const started = performance.now();
    await mkdir(this.options.baseDir, { recursive: true });
    const sessionDir = path.join(await realpath(this.options.baseDir), spec.sessionId);
    const dirs = { workspace: path.join(sessionDir, 'workspace'), run: path.join(sessionDir, 'run'), tmp: path.join(sessionDir, 'tmp') };
    const socketPath = path.join(dirs.run, 'runner.sock');
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`sandbox socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter base directory`);
    }
    await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));

    const runner = this.options.runner ?? resolveRunnerInstall();
    const token = randomBytes(32).toString('base64url');
    // Built from nothing: the worker's own environment (model keys, DATABASE_URL, REDIS_URL) never reaches a sandbox.
    const env: NodeJS.ProcessEnv = {
      PATH: `${path.dirname(this.nodePath)}:${SYSTEM_PATH}`,
      LANG: 'C.UTF-8',
      // Inside bubblewrap /tmp is already private; a plain process gets a scratch directory of its own.
      TMPDIR: this.bwrapPath !== undefined ? '/tmp' : dirs.tmp,
      ...spec.environmentVariables,
      STRATUS_RUNNER_TOKEN: token,
      STRATUS_RUNNER_SOCKET: socketPath,
      STRATUS_WORKSPACE_DIR: dirs.workspace,
      STRATUS_RUNNER_NETWORKING: JSON.stringify(spec.networking),
      STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE: '1',
    };
    const bwrap = this.bwrapPath;
    const runnerProcess =
      bwrap === undefined
        ? await RunnerProcess.start(this.nodePath, [runner.entry], env, this.readyTimeoutMs)
        : await RunnerProcess.start(
            bwrap,
            [
              ...bwrapArgs({
                workspaceDir: dirs.workspace,
                runDir: dirs.run,
                networking: spec.networking,
                hiddenDirs: await existingRealDirs(['/tmp', path.dirname(sessionDir), homedir()]),
                readOnlyPaths: [await realpath(this.nodePath), ...runner.codePaths],
              }),
              '--',
              this.nodePath,
              runner.entry,
            ],
            env,
            this.readyTimeoutMs,
          );
    const handle: SandboxHandle = {
      sessionId: spec.sessionId,
      endpoint: { socketPath },
      token,
      startedAt: new Date(),
      startupMs: performance.now() - started,
    };
    const sandbox = { handle, process: runnerProcess };
    this.sandboxes.set(spec.sessionId, sandbox);
    void runnerProcess.exited.then(() => {
      // A runner that dies on its own is forgotten, so the next turn provisions a new one.
      if (this.sandboxes.get(spec.sessionId) !== sandbox) return;
      this.sandboxes.delete(spec.sessionId);
      this.logger.warn({ sessionId: spec.sessionId, stderr: runnerProcess.stderr }, 'sandbox runner exited unexpectedly');
    });
    return sandbox;
  }
}
