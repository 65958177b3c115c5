import { Injectable, Logger } from '@nestjs/common';
import { parseJobPayload } from '@stratus/queues';
import { WaitingError, type Job } from 'bullmq';
import type { QueueProcessor } from '../queues/queue-processor';
import { TurnControlService } from './turn-control.service';
import { TurnRunnerService } from './turn-runner.service';

/** The `session-turns` queue: each job runs a session's turns from its event log. */
@Injectable()
export class SessionTurnsProcessor implements QueueProcessor {
  readonly queue = 'session-turns';
  private readonly logger = new Logger(SessionTurnsProcessor.name);

  constructor(
    private readonly runner: TurnRunnerService,
    private readonly control: TurnControlService,
  ) {}

  async process(job: Job, token: string | undefined): Promise<void> {
    const payload = parseJobPayload('session-turns', job.data);
    if (payload.enqueuedAt !== undefined) this.logger.debug({ sessionId: payload.sessionId, jobId: job.id, queueWaitMs: Date.now() - payload.enqueuedAt }, 'turn job started');
    if (token === undefined) throw new Error(`turn job ${job.id} runs without a lock token`);
    const outcome = await this.runner.run(job.id!, token, payload.sessionId);
    if (outcome === 'stopped') {
      // Back to waiting at once (no attempt spent): another worker resumes the turn from the log.
      await job.moveToWait(token);
      this.logger.log({ sessionId: payload.sessionId, jobId: job.id }, 'turn handed back to the queue: this worker is shutting down');
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
}
