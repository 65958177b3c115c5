import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { SandboxSpec } from '@stratus/sandbox';
import type { WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { SandboxRepository, type SessionSandbox } from './sandbox.repository';

/** A sandbox being started for a turn; the first tool call waits for it. */
export interface PendingSandbox {
  ready(): Promise<SessionSandbox>;
}

/**
 * Starts a session's sandbox as its turn starts, in parallel with the first model call, and stops it
 * after the session has had no turn here for the idle timeout (a later turn starts a new one).
 */
@Injectable()
export class SandboxService implements OnApplicationShutdown {
  private readonly logger = new Logger(SandboxService.name);
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();
  private readonly inUse = new Map<string, number>();

  constructor(
    private readonly repository: SandboxRepository,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  /**
   * Starts provisioning now and returns at once. Until `release`, the sandbox is in use and is not
   * reaped. A failure is kept for the tool call that waits for it (and reported to the model there);
   * later calls try again, and find a runner that died since replaced.
   */
  acquire(sessionId: string, spec: () => SandboxSpec): PendingSandbox {
    clearTimeout(this.idleTimers.get(sessionId));
    this.idleTimers.delete(sessionId);
    this.inUse.set(sessionId, (this.inUse.get(sessionId) ?? 0) + 1);
    let first: Promise<SessionSandbox> | undefined = Promise.resolve()
      .then(() => this.repository.provision(spec()))
      .then((sandbox) => {
        if (sandbox.startupMs > 0) this.logger.debug({ sessionId, startupMs: Math.round(sandbox.startupMs) }, 'sandbox started');
        return sandbox;
      });
    // Observed here so that a failure nobody waits for (a turn without tool calls) is not unhandled.
    first.catch((error: unknown) => this.logger.warn({ sessionId, err: String(error) }, 'sandbox could not be started'));
    return {
      ready: () => {
        const sandbox = first ?? Promise.resolve().then(() => this.repository.provision(spec()));
        first = undefined;
        return sandbox;
      },
    };
  }

  /** The turn is over; the sandbox is reaped after the idle timeout unless another turn takes it. */
  release(sessionId: string): void {
    const users = (this.inUse.get(sessionId) ?? 1) - 1;
    if (users > 0) {
      this.inUse.set(sessionId, users);
      return;
    }
    this.inUse.delete(sessionId);
    const timer = setTimeout(() => {
      this.idleTimers.delete(sessionId);
      if (!this.inUse.has(sessionId)) void this.destroy(sessionId);
    }, this.env.STRATUS_SANDBOX_IDLE_TIMEOUT_MS);
    timer.unref();
    this.idleTimers.set(sessionId, timer);
  }

  /** Stops the session's sandbox now (the session was deleted, or it idled out). */
  async destroy(sessionId: string): Promise<void> {
    clearTimeout(this.idleTimers.get(sessionId));
    this.idleTimers.delete(sessionId);
    await this.repository.destroy(sessionId).catch((error: unknown) => this.logger.warn({ sessionId, err: String(error) }, 'sandbox could not be destroyed'));
  }

  onApplicationShutdown(): void {
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
  }
}
