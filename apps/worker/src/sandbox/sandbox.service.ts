import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SandboxSpec } from '@stratus/sandbox';
import type { WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { SandboxLifecycleRepository } from './sandbox-lifecycle.repository';
import { traceSandboxWait } from './sandbox-telemetry';
import { SandboxRepository, type SessionSandbox } from './sandbox.repository';

/** A sandbox being started for a turn; the first tool call waits for it. */
export interface PendingSandbox {
  ready(): Promise<SessionSandbox>;
}

/**
 * Starts a session's sandbox as its turn starts, in parallel with the first model call, and schedules
 * its reap on the sandbox-lifecycle queue when the turn ends: a queued reap outlives this process and
 * may run on any worker (a later turn starts a new sandbox).
 */
@Injectable()
export class SandboxService {
  private readonly logger = new Logger(SandboxService.name);

  constructor(
    private readonly repository: SandboxRepository,
    private readonly lifecycle: SandboxLifecycleRepository,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  /**
   * Starts provisioning now and returns at once. A failure is kept for the tool call that waits for it
   * (and reported to the model there); later calls try again, and find a runner that died since replaced.
   */
  acquire(sessionId: string, spec: () => SandboxSpec): PendingSandbox {
    let first: Promise<SessionSandbox> | undefined = Promise.resolve().then(() => this.provision(spec()));
    // Observed here so that a failure nobody waits for (a turn without tool calls) is not unhandled.
    first.catch((error: unknown) => this.logger.warn({ sessionId, err: String(error) }, 'sandbox could not be started'));
    return {
      ready: () => {
        const sandbox = first ?? Promise.resolve().then(() => this.provision(spec()));
        first = undefined;
        return sandbox;
      },
    };
  }

  /** Starts the session's sandbox (or finds it running). */
  async provision(spec: SandboxSpec): Promise<SessionSandbox> {
    const sandbox = await traceSandboxWait(this.env.STRATUS_SANDBOX_PROVIDER, () => this.repository.provision(spec));
    if (sandbox.startupMs > 0) this.logger.debug({ sessionId: spec.sessionId, startupMs: Math.round(sandbox.startupMs) }, 'sandbox started');
    return sandbox;
  }

  /** The session's sandbox is idle from now: it is reaped after the idle timeout unless a turn comes first. */
  async release(sessionId: string): Promise<void> {
    await this.lifecycle.scheduleReap(sessionId, this.env.STRATUS_SANDBOX_IDLE_TIMEOUT_MS).catch((error: unknown) => {
      // Left to the reconciler only once the session is gone; note it, as the sandbox idles on meanwhile.
      this.logger.warn({ sessionId, err: String(error) }, 'could not schedule the sandbox reap');
    });
  }

  /** Stops the session's sandbox now (the session was deleted, or it idled out). */
  async destroy(sessionId: string): Promise<void> {
    await this.repository.destroy(sessionId).catch((error: unknown) => this.logger.warn({ sessionId, err: String(error) }, 'sandbox could not be destroyed'));
  }
}
