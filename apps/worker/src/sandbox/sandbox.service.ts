import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SandboxSpec } from '@stratus/sandbox';
import type { WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { SandboxCapacityService } from './sandbox-capacity.service';
import { SandboxLifecycleRepository } from './sandbox-lifecycle.repository';
import { SandboxSessionsRepository } from './sandbox-sessions.repository';
import { SandboxSlotsRepository } from './sandbox-slots.repository';
import { traceSandboxWait } from './sandbox-telemetry';
import { SandboxRepository, type SessionSandbox } from './sandbox.repository';

/** A sandbox a turn has asked for; its tool calls wait for it. */
export interface PendingSandbox {
  /**
   * The running sandbox. When it must first wait for capacity, `onWaiting` runs (once) before the wait
   * goes on, and `waited` says so. A failure is reported here; the next call tries again.
   */
  ready(onWaiting: () => Promise<void>): Promise<{ sandbox: SessionSandbox; waited: boolean }>;
}

interface Attempt {
  /** Resolves true as soon as the attempt waits for capacity, false once it no longer can. */
  waiting: Promise<boolean>;
  sandbox: Promise<SessionSandbox>;
}

/**
 * Starts a session's sandbox when its turn first needs one, within the capacity caps (a turn past a cap
 * waits in line, SandboxCapacityService), and schedules its reap on the sandbox-lifecycle queue when the
 * turn ends: a queued reap outlives this process and may run on any worker (a later turn starts a new
 * sandbox). Reaps free the sandbox's slot in the ledger.
 */
@Injectable()
export class SandboxService {
  private readonly logger = new Logger(SandboxService.name);

  constructor(
    private readonly repository: SandboxRepository,
    private readonly capacity: SandboxCapacityService,
    private readonly slots: SandboxSlotsRepository,
    private readonly sessions: SandboxSessionsRepository,
    private readonly lifecycle: SandboxLifecycleRepository,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {
    capacity.onEviction((sessionId) => this.reap(sessionId));
  }

  /**
   * Starts acquiring the session's sandbox now and returns at once: its slot (waiting in line past a cap),
   * then the sandbox itself. A failure is kept for the tool call that waits for it (and reported to the
   * model there); later calls try again, and find a runner that died since replaced.
   */
  acquire(session: { sessionId: string; workspaceId: string; liveSlotWorker: string | null }, spec: () => SandboxSpec, signal: () => AbortSignal): PendingSandbox {
    let admitted = false;
    const attempt = (): Attempt => {
      let setWaiting!: (waiting: boolean) => void;
      const waiting = new Promise<boolean>((resolve) => (setWaiting = resolve));
      const sandbox = (async () => {
        if (!admitted) {
          await this.capacity.admit(session, signal(), () => setWaiting(true));
          // The slot stays the session's while it is processing: later calls of this turn go straight to the sandbox.
          admitted = true;
        }
        setWaiting(false);
        return this.provision(spec());
      })();
      sandbox.catch(() => setWaiting(false));
      return { waiting, sandbox };
    };
    let first: Attempt | undefined = attempt();
    // Observed here so that a failure nobody waits for (the model's tool call was never run) is not unhandled.
    first.sandbox.catch((error: unknown) => this.logger.warn({ sessionId: session.sessionId, err: String(error) }, 'sandbox could not be started'));
    return {
      ready: async (onWaiting) => {
        const current = first ?? attempt();
        first = undefined;
        const waited = await current.waiting;
        if (waited) await onWaiting();
        return { sandbox: await current.sandbox, waited };
      },
    };
  }

  /** Starts the session's sandbox (or finds it running); the caller holds its slot. */
  private async provision(spec: SandboxSpec): Promise<SessionSandbox> {
    const sandbox = await traceSandboxWait(this.env.STRATUS_SANDBOX_PROVIDER, () => this.repository.provision(spec));
    if (sandbox.startupMs > 0) this.logger.debug({ sessionId: spec.sessionId, startupMs: Math.round(sandbox.startupMs) }, 'sandbox started');
    return sandbox;
  }

  /**
   * The session's sandbox is idle from now: it is reaped after the idle timeout unless a turn comes
   * first, or earlier when a cap is reached and it is the least recently used (its last use is recorded
   * by the turn's last commit, TurnCommit.sandboxUsed).
   */
  async release(sessionId: string): Promise<void> {
    await this.lifecycle.scheduleReap(sessionId, this.env.STRATUS_SANDBOX_IDLE_TIMEOUT_MS).catch((error: unknown) => {
      // Left to the reconciler only once the session is gone; note it, as the sandbox idles on meanwhile.
      this.logger.warn({ sessionId, err: String(error) }, 'could not schedule the sandbox reap');
    });
  }

  /**
   * Stops the sandbox of a session that idled out or was chosen for eviction, and frees its slot. A
   * session whose turn runs now keeps its sandbox (that turn schedules a new reap when it ends).
   */
  async reap(sessionId: string): Promise<void> {
    const claim = await this.slots.claimForReap(sessionId);
    if (claim === 'busy') return;
    if (claim === 'untracked') {
      const status = await this.sessions.status(sessionId);
      if (status === 'processing' || status === 'canceling') return;
    }
    await this.destroy(sessionId);
    if (claim === 'reap') {
      await this.slots.remove(sessionId);
      this.capacity.freed();
    }
    this.logger.debug({ sessionId }, 'sandbox reaped');
  }

  /** Stops the session's sandbox now (the session was deleted, or it idled out). */
  async destroy(sessionId: string): Promise<void> {
    await this.repository.destroy(sessionId).catch((error: unknown) => this.logger.warn({ sessionId, err: String(error) }, 'sandbox could not be destroyed'));
  }
}
