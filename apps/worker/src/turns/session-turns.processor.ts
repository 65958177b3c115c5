import { Injectable, Logger } from '@nestjs/common';
import { parseJobPayload } from '@stratus/queues';
import { DelayedError, WaitingError, type Job } from 'bullmq';
import type { QueueProcessor } from '../queues/queue-processor';
import { TurnControlService } from './turn-control.service';
import { TurnRunnerService } from './turn-runner.service';

/**
 * How long a job waits when it comes back to the process still winding up an earlier attempt of it:
 * BullMQ keeps one lock per job id in a worker, and that attempt's end would drop the new one's.
 */
const REQUEUE_DELAY_MS = 1000;

/** An attempt of a turn job running in this process. */
interface Attempt {
  /** Aborted when the attempt's lock is lost: the run stops. */
  lockLost: AbortController;
  /** Settles once the attempt's run is over. */
  done: Promise<unknown>;
}

/** The `session-turns` queue: each job runs a session's turns from its event log. */
@Injectable()
export class SessionTurnsProcessor implements QueueProcessor {
  readonly queue = 'session-turns';
  private readonly logger = new Logger(SessionTurnsProcessor.name);
  private readonly attempts = new Map<string, Attempt>();

  constructor(
    private readonly runner: TurnRunnerService,
    private readonly control: TurnControlService,
  ) {}

  async process(job: Job, token: string | undefined): Promise<void> {
    const payload = parseJobPayload('session-turns', job.data);
    const jobId = job.id!;
    if (token === undefined) throw new Error(`turn job ${jobId} runs without a lock token`);
    const previous = this.attempts.get(jobId);
    if (previous) {
      // BullMQ gave the job out again while this process still runs it: the earlier attempt lost its
      // lock (the event loop stalled past it). Stop that one, and take the job back once it is wound up.
      previous.lockLost.abort();
      await previous.done;
      await job.moveToDelayed(Date.now() + REQUEUE_DELAY_MS, token);
      this.logger.warn({ sessionId: payload.sessionId, jobId }, 'turn job came back while its earlier attempt was running here: that one is stopped, the job delayed');
      throw new DelayedError();
    }
    if (payload.enqueuedAt !== undefined) this.logger.debug({ sessionId: payload.sessionId, jobId, queueWaitMs: Date.now() - payload.enqueuedAt }, 'turn job started');
    const lockLost = new AbortController();
    const run = this.runner.run(jobId, token, payload.sessionId, lockLost.signal);
    const attempt: Attempt = { lockLost, done: run.catch(() => undefined) };
    this.attempts.set(jobId, attempt);
    let outcome: Awaited<typeof run>;
    try {
      outcome = await run;
    } finally {
      if (this.attempts.get(jobId) === attempt) this.attempts.delete(jobId);
    }
    if (outcome === 'stopped') {
      // Back to waiting at once (no attempt spent): another worker resumes the turn from the log.
      await job.moveToWait(token);
      this.logger.log({ sessionId: payload.sessionId, jobId }, 'turn handed back to the queue: this worker is shutting down');
      throw new WaitingError();
    }
  }

  async failed(job: Job, error: Error): Promise<void> {
    const parsed = (() => {
      try {
        return parseJobPayload('session-turns', job.data);
      } catch {
        return undefined;
      }
    })();
    if (parsed) await this.runner.fail(job.id!, parsed.sessionId, error);
  }

  abandon(): void {
    this.control.stopAll('shutdown');
  }

  lost(jobIds: string[]): void {
    for (const jobId of jobIds) this.attempts.get(jobId)?.lockLost.abort();
  }
}
