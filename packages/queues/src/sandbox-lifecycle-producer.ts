import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queuePrefix } from './names';
import { DEFAULT_JOB_OPTIONS } from './options';
import { SandboxLifecycleJob } from './payloads';
import { boundedAdd } from './bounded-add';

/** The id of a session's pending reap: one per session, so a later turn's reap replaces the earlier one. */
export function sandboxReapJobId(sessionId: string): string {
  return `reap-${sessionId}`;
}

/** The id of the job scheduler that runs the orphan reconciler. */
export const SANDBOX_RECONCILE_SCHEDULER = 'sandbox-reconcile';

/** Enqueues sandbox lifecycle jobs on the `sandbox-lifecycle` queue. */
export class SandboxLifecycleProducer {
  private created: Queue<SandboxLifecycleJob> | undefined;

  /**
   * @param connection an ioredis client to share (BullMQ's queue side needs no dedicated connection)
   * @param redisKeyPrefix the deployment's REDIS_KEY_PREFIX
   */
  constructor(
    private readonly connection: Redis,
    private readonly redisKeyPrefix: string,
  ) {}

  /** The BullMQ queue, created on first use. */
  get queue(): Queue<SandboxLifecycleJob> {
    if (!this.created) {
      this.created = new Queue<SandboxLifecycleJob>('sandbox-lifecycle', {
        connection: this.connection,
        prefix: queuePrefix(this.redisKeyPrefix),
        defaultJobOptions: DEFAULT_JOB_OPTIONS['sandbox-lifecycle'],
      });
      // Connection trouble surfaces as a rejected add(); unlistened, an 'error' event would end the process.
      this.created.on('error', () => undefined);
    }
    return this.created;
  }

  /** Stops the session's sandbox (the session was deleted). */
  async destroy(sessionId: string): Promise<void> {
    await boundedAdd(this.queue, 'destroy', SandboxLifecycleJob.parse({ action: 'destroy', sessionId }));
  }

  /**
   * (Re)schedules the session's reap `delayMs` from now (0: an eviction, at once). The pending one is
   * removed first: a job id that is taken makes add() a no-op, and the reap must count from the latest turn.
   */
  async scheduleReap(sessionId: string, delayMs: number): Promise<void> {
    const jobId = sandboxReapJobId(sessionId);
    // Fails only for a reap that is running right now; that one re-checks the session itself.
    await this.queue.remove(jobId).catch(() => undefined);
    await boundedAdd(this.queue, 'reap', SandboxLifecycleJob.parse({ action: 'reap', sessionId }), { jobId, delay: delayMs });
  }

  /** Runs the reconciler every `everyMs` (0 removes the schedule); one schedule per deployment, whichever worker sets it. */
  async scheduleReconcile(everyMs: number): Promise<void> {
    if (everyMs === 0) {
      await this.queue.removeJobScheduler(SANDBOX_RECONCILE_SCHEDULER);
      return;
    }
    await this.queue.upsertJobScheduler(SANDBOX_RECONCILE_SCHEDULER, { every: everyMs }, { name: 'reconcile', data: SandboxLifecycleJob.parse({ action: 'reconcile' }) });
  }

  /** Closes the queue, if it was used (not the shared connection). */
  async close(): Promise<void> {
    await this.created?.close();
  }
}
