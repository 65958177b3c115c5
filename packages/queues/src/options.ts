import type { JobsOptions } from 'bullmq';
import type { QueueName } from './names';

/**
 * Default options of each queue's jobs. A turn job that fails on infrastructure (PostgreSQL down, a
 * bug) is retried with backoff; it resumes from the event log, so a retry never repeats a stored step.
 * Finished jobs are removed: the event log, not Redis, is the record of what happened.
 */
export const DEFAULT_JOB_OPTIONS: Record<QueueName, JobsOptions> = {
  'session-turns': {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  },
  // Lifecycle jobs are idempotent (a reap re-checks the session, destroy of none is a no-op),
  // so a retry after a provider hiccup is always safe.
  'sandbox-lifecycle': {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  },
  // One job is one HTTP attempt. Its retry schedule (hours long) is kept in PostgreSQL, not in BullMQ's
  // attempts: a job that fails on infrastructure is retried briefly, and the dispatcher hands the attempt
  // out again under the same job id once its lease ends, which a failed job kept in Redis would block.
  'webhook-delivery': {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: true,
  },
};
