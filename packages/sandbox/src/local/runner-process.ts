import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { isRunnerReadyLine } from '@stratus/sandbox-protocol';
import { SandboxStartError } from '../sandbox-errors';

/** How much of the runner's stderr to keep for error messages. */
const STDERR_TAIL_BYTES = 8 * 1024;
/** SIGTERM first so the runner can kill its commands and unlink its socket; SIGKILL after this. */
const STOP_GRACE_MS = 2000;

/** The local runner process died or stalled before it was ready. */
export class RunnerStartError extends SandboxStartError {
  override name = 'RunnerStartError';

  constructor(message: string) {
    super('runner_failed', message);
  }
}

/** A started runner process (bwrap or node), leader of its own process group. */
export class RunnerProcess {
  private stderrTail = '';
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = once(child, 'exit').then(
      () => undefined,
      () => undefined,
    );
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    // Never written to: the pipe is the runner's lifeline (STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE). It closes
    // when this process dies, however it dies, and the runner then exits instead of lingering.
    child.stdin?.on('error', () => undefined);
  }

  /**
   * Spawns `command` and resolves once it printed the ready line; rejects with its stderr if it dies
   * or stalls. `fd3` is written, NUL-separated, to a pipe on fd 3 (bubblewrap's `--args 3`), and
   * `fd4` as is to a pipe on fd 4 (bubblewrap's `--seccomp 4`); with `host`, the process is spawned
   * as its uid/gid and `host.beforeArguments` runs before anything is written to them.
   */
  static async start(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    readyTimeoutMs: number,
    fd3?: readonly string[],
    fd4?: Buffer,
    host?: { uid?: number; gid?: number; beforeArguments(pid: number): Promise<void> },
  ): Promise<RunnerProcess> {
    const extra = [fd3?.map((arg) => `${arg}\0`).join(''), fd4].filter((data) => data !== undefined);
    const child = spawn(command, args, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe', ...extra.map(() => 'pipe' as const)], uid: host?.uid, gid: host?.gid });
    const runner = new RunnerProcess(child);
    // Listening from the spawn on, so an exit during beforeArguments is seen.
    const ready = runner.waitUntilReady(readyTimeoutMs);
    ready.catch(() => undefined); // awaited below, unless beforeArguments fails first
    try {
      if (host !== undefined && child.pid !== undefined) await host.beforeArguments(child.pid);
      extra.forEach((data, index) => {
        const pipe = child.stdio[3 + index] as Writable;
        pipe.on('error', () => undefined); // the process died before reading; its exit is reported below
        pipe.end(data);
      });
      await ready;
    } catch (error) {
      await runner.stop();
      throw error;
    }
    // Keep draining stdout so the runner never blocks on a full pipe.
    child.stdout?.resume();
    return runner;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** SIGTERM to the process group, SIGKILL if it is still there after a grace period. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.signalGroup('SIGTERM');
    const grace = new Promise<'timeout'>((resolve) => setTimeout(resolve, STOP_GRACE_MS, 'timeout').unref());
    if ((await Promise.race([this.exited, grace])) === 'timeout') {
      this.signalGroup('SIGKILL');
      await this.exited;
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // ESRCH: already gone
    }
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const child = this.child;
    const lines = createInterface({ input: child.stdout! });
    const stderr = () => this.stderrTail.trim() || 'no stderr';
    let settle = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        const onLine = (line: string) => {
          if (isRunnerReadyLine(line)) resolve();
        };
        const onError = (error: Error) => reject(new RunnerStartError(`sandbox runner could not be started: ${error.message}`));
        // 'close' rather than 'exit': by then all of stderr has been read.
        const onClose = () => reject(new RunnerStartError(`sandbox runner exited before it was ready (${this.describeExit()}): ${stderr()}`));
        const timer = setTimeout(() => reject(new RunnerStartError(`sandbox runner not ready after ${timeoutMs} ms: ${stderr()}`)), timeoutMs);
        lines.on('line', onLine);
        child.once('error', onError);
        child.once('close', onClose);
        settle = () => {
          clearTimeout(timer);
          child.off('error', onError);
          child.off('close', onClose);
        };
      });
    } finally {
      settle();
      lines.close();
    }
  }

  private describeExit(): string {
    return this.child.signalCode !== null ? `signal ${this.child.signalCode}` : `exit code ${this.child.exitCode}`;
  }
}
