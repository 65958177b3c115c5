import { RunnerUnavailableError } from '../runner-client';
import type { RunnerProcess } from './runner-process';

/**
 * The file tools' runner of a local sandbox, started inside it when a call needs it and stopped once
 * no call has used it for `idleMs`: a sandbox between turns keeps no Node.js process.
 */
export class OnDemandRunner {
  private process?: Promise<RunnerProcess>;
  private active = 0;
  private idleTimer?: NodeJS.Timeout;
  private closed = false;
  /** A stop under way: the next start waits for it, or the old runner would unlink the new one's socket. */
  private stopping?: Promise<void>;

  constructor(
    private readonly start: () => Promise<RunnerProcess>,
    private readonly idleMs: number,
  ) {}

  /** Runs `call` with the runner up, starting it when needed. */
  async use<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) throw new RunnerUnavailableError('the sandbox has stopped');
    this.active++;
    clearTimeout(this.idleTimer);
    try {
      // A runner that cannot start makes the sandbox unavailable to this call, as a dead runner would.
      await this.running().catch((error: unknown) => {
        throw new RunnerUnavailableError(`the sandbox's runner could not be started: ${(error as Error).message}`, { cause: error });
      });
      return await call();
    } finally {
      this.active--;
      if (this.active === 0 && !this.closed) this.idleTimer = setTimeout(() => void this.stopProcess(), this.idleMs).unref();
    }
  }

  /** Stops the runner for good (the sandbox is going away). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.stopProcess();
  }

  private async running(): Promise<RunnerProcess> {
    await this.stopping;
    const current = this.process;
    if (current !== undefined) {
      const runner = await current.catch(() => undefined);
      if (runner?.running) return runner;
    }
    const next = this.start();
    this.process = next;
    next.catch(() => {
      if (this.process === next) this.process = undefined;
    });
    return next;
  }

  private async stopProcess(): Promise<void> {
    const current = this.process;
    this.process = undefined;
    const stop = (async () => {
      await this.stopping;
      const runner = await current?.catch(() => undefined);
      await runner?.stop();
    })();
    this.stopping = stop;
    await stop;
  }
}
