import { Inject, Injectable } from '@nestjs/common';
import { TURN_PRODUCER } from '@stratus/nest-common';
import type { SessionTurnProducer } from '@stratus/queues';

/** Job states in which a turn job will still run (or is running). */
const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/** The turn jobs on the queue, as the worker sees them. */
@Injectable()
export class TurnJobsRepository {
  constructor(@Inject(TURN_PRODUCER) private readonly producer: SessionTurnProducer) {}

  /** Whether the job exists and will still run (or is running); a job that died mid-turn is active until its lock expires. */
  async isAlive(jobId: string): Promise<boolean> {
    const job = await this.producer.queue.getJob(jobId);
    return job !== undefined && LIVE_STATES.has(await job.getState());
  }

  /** Enqueues a job for a session that is processing without a live job. */
  async enqueueRecovery(sessionId: string, lastSeq: number): Promise<void> {
    await this.producer.enqueueRecovery(sessionId, lastSeq);
  }
}
