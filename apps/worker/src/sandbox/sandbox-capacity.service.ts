import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WorkerEnv } from '../config/worker-env';
import { TurnStop } from '../turns/turn-stop';
import { WORKER_ENV } from '../worker.tokens';
import { SandboxLifecycleRepository } from './sandbox-lifecycle.repository';
import { SandboxSlotsRepository, type Eviction } from './sandbox-slots.repository';

/** A waiter not renewed for this many poll intervals belongs to a worker that died. */
const STALE_AFTER_POLLS = 5;

/**
 * The caps on live sandboxes: STRATUS_SANDBOX_MAX_PER_WORKSPACE across the deployment and
 * STRATUS_SANDBOX_MAX_PER_WORKER in this process, counted in PostgreSQL (SandboxSlotsRepository). A turn
 * past a cap waits in line, asking again when this process frees a slot and every poll interval (a slot
 * freed by another worker is seen at the next poll); while it waits, idle sandboxes are evicted least
 * recently used first. A waiting worker that dies leaves its place in line to the turn's next owner.
 */
@Injectable()
export class SandboxCapacityService {
  private readonly logger = new Logger(SandboxCapacityService.name);
  /** This process in the ledger: the per-worker cap counts the slots under this id. */
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly wakers = new Set<() => void>();
  private evictHere: (sessionId: string) => Promise<void> = async () => undefined;

  constructor(
    private readonly slots: SandboxSlotsRepository,
    private readonly lifecycle: SandboxLifecycleRepository,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  /** How this process reaps a sandbox it evicts itself (SandboxService, which depends on this service). */
  onEviction(reap: (sessionId: string) => Promise<void>): void {
    this.evictHere = reap;
  }

  /**
   * Resolves once the session may have a live sandbox: it has one, or a slot was granted to it.
   * `onWaiting` is called once if it has to wait first. Rejects with the signal's reason when the turn stops.
   * `liveSlotWorker` is the worker whose live slot the session held when its turn job started.
   */
  async admit(session: { sessionId: string; workspaceId: string; liveSlotWorker: string | null }, signal: AbortSignal, onWaiting: () => void): Promise<void> {
    // The steady case, with no decision to make: the session's live slot is booked on this worker, and no
    // reap takes the live slot of a session that runs a turn (SandboxSlotsRepository.claimForReap).
    if (session.liveSlotWorker === this.workerId) return;
    const pollMs = this.env.STRATUS_SANDBOX_WAIT_POLL_MS;
    let waiting = false;
    try {
      for (;;) {
        signal.throwIfAborted();
        const decision = await this.slots.take({
          sessionId: session.sessionId,
          workspaceId: session.workspaceId,
          workerId: this.workerId,
          workspaceCap: this.env.STRATUS_SANDBOX_MAX_PER_WORKSPACE,
          workerCap: this.env.STRATUS_SANDBOX_MAX_PER_WORKER,
          staleBefore: new Date(Date.now() - STALE_AFTER_POLLS * pollMs),
        });
        if (decision.kind === 'granted') {
          if (waiting) this.logger.debug({ sessionId: session.sessionId }, 'sandbox slot granted after waiting');
          return;
        }
        if (decision.evict) this.evict(decision.evict);
        if (!waiting) {
          waiting = true;
          this.logger.debug({ sessionId: session.sessionId, workspaceId: session.workspaceId }, 'waiting for a sandbox slot');
          onWaiting();
        }
        await this.nextTry(pollMs, signal);
      }
    } catch (error) {
      // A turn canceled in line gives its place up; one handed to another worker keeps it for its next owner.
      const handedOver = error instanceof TurnStop && (error.reason === 'shutdown' || error.reason === 'lost');
      if (waiting && !handedOver) await this.slots.leave(session.sessionId, this.workerId).catch(() => undefined);
      throw error;
    }
  }

  /** A slot was freed in this process: the turns waiting here ask again at once. */
  freed(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** Reaps an idle sandbox ahead of its idle timeout: here when it lives here, else on the lifecycle queue. */
  private evict(eviction: Eviction): void {
    this.logger.debug({ sessionId: eviction.sessionId, holder: eviction.workerId }, 'evicting the least recently used idle sandbox');
    const reaped = eviction.workerId === this.workerId ? this.evictHere(eviction.sessionId) : this.lifecycle.scheduleReap(eviction.sessionId, 0);
    reaped.catch((error: unknown) => this.logger.warn({ sessionId: eviction.sessionId, err: String(error) }, 'could not evict the idle sandbox; it is reaped at its idle timeout'));
  }

  private nextTry(pollMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      this.wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
