import type { QueueName } from '@stratus/queues';
import type { Job } from 'bullmq';
import type { QueueSetting } from '../config/worker-env';

/** The consumer of one queue's jobs. Each processor is registered under QUEUE_PROCESSORS. */
export interface QueueProcessor {
  readonly queue: QueueName;
  /** Handles one job; `token` is the job's lock token (to move it back to waiting). */
  process(job: Job, token: string | undefined): Promise<void>;
  /** Called once a job has failed for good (no retry left, or unrecoverable). */
  failed?(job: Job, error: Error): Promise<void>;
  /** The process is shutting down and the grace period is over: stop running jobs so others resume them. */
  abandon?(): void;
  /** This process lost the lock of these running jobs (its event loop stalled past it): stop running them here. */
  lost?(jobIds: string[]): void;
}

/** Injection token of the QueueProcessor[] this build provides. */
export const QUEUE_PROCESSORS = Symbol('QUEUE_PROCESSORS');

/** Thrown at start-up when the configuration asks for something this build cannot do. */
export class QueueConfigError extends Error {
  override name = 'QueueConfigError';
}

/** Pairs every enabled queue with its processor; refuses to start with a queue that has none. */
export function planQueueWorkers(settings: readonly QueueSetting[], processors: readonly QueueProcessor[]): { setting: QueueSetting; processor: QueueProcessor }[] {
  return settings.map((setting) => {
    const processor = processors.find((p) => p.queue === setting.queue);
    if (!processor) {
      throw new QueueConfigError(`invalid configuration:\n  STRATUS_WORKER_QUEUES: queue "${setting.queue}" has no processor in this worker`);
    }
    return { setting, processor };
  });
}
