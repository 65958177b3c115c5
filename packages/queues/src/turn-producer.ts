import { currentTraceparent } from '@stratus/telemetry';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queuePrefix } from './names';
import { DEFAULT_JOB_OPTIONS } from './options';
import { SessionTurnJob } from './payloads';
import { boundedAdd } from './bounded-add';

/**
 * The id of the job that runs a session's turns after one wake-up. It derives from the session and
 * the event that woke it, so enqueueing the same wake-up twice adds one job. A job the worker enqueues
 * to recover a session whose job was lost or failed gets its own id (a failed job keeps its id for a
 * while, and adding a job under a taken id does nothing).
 */
export function sessionTurnJobId(sessionId: string, wakeSeq: number, recoveredAt?: number): string {
  return recoveredAt === undefined ? `${sessionId}-${wakeSeq}` : `${sessionId}-${wakeSeq}-r${recoveredAt}`;
}

/** Enqueues session turns on the `session-turns` queue. */
export class SessionTurnProducer {
  private created: Queue<SessionTurnJob> | undefined;

  /**
   * @param connection an ioredis client to share (BullMQ's queue side needs no dedicated connection)
   * @param redisKeyPrefix the deployment's REDIS_KEY_PREFIX
   */
  constructor(
    private readonly connection: Redis,
    private readonly redisKeyPrefix: string,
  ) {}

  /** The BullMQ queue, created on first use: processes that never enqueue (a CLI, a gateway) never touch it. */
  get queue(): Queue<SessionTurnJob> {
    if (!this.created) {
      this.created = new Queue<SessionTurnJob>('session-turns', {
        connection: this.connection,
        prefix: queuePrefix(this.redisKeyPrefix),
        defaultJobOptions: DEFAULT_JOB_OPTIONS['session-turns'],
      });
      // Connection trouble surfaces where it matters, as a rejected enqueue(); unlistened, an 'error'
      // event would take the whole process down.
      this.created.on('error', () => undefined);
    }
    return this.created;
  }

  /** Adds the turn job of this wake-up (a no-op when it is already queued or running). */
  async enqueue(sessionId: string, wakeSeq: number): Promise<void> {
    const data = SessionTurnJob.parse({ sessionId, wakeSeq, enqueuedAt: Date.now(), traceparent: currentTraceparent() });
    await boundedAdd(this.queue, 'turn', data, { jobId: sessionTurnJobId(sessionId, wakeSeq) });
  }

  /** Adds a job for a session left processing without a live job (its enqueue was lost, its job failed). */
  async enqueueRecovery(sessionId: string, lastSeq: number): Promise<void> {
    const now = Date.now();
    const data = SessionTurnJob.parse({ sessionId, wakeSeq: lastSeq, enqueuedAt: now });
    await boundedAdd(this.queue, 'turn', data, { jobId: sessionTurnJobId(sessionId, lastSeq, now) });
  }

  /** Closes the queue, if it was used (not the shared connection). */
  async close(): Promise<void> {
    await this.created?.close();
  }
}
