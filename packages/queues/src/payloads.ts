import { z } from 'zod';
import type { QueueName } from './names';

/**
 * A request to run a session's turns. It carries no conversation: the worker rebuilds everything from
 * the event log, so a job stays valid however late it runs and whichever worker takes it over.
 * New fields start optional so that payloads survive a rolling deploy.
 */
export const SessionTurnJob = z.object({
  sessionId: z.string().min(1).max(64),
  /** The sequence number of the event that woke the session; makes the job id unique per wake-up. */
  wakeSeq: z.int().min(0),
  /** When the producer enqueued it (epoch ms), for the queue-wait metric. */
  enqueuedAt: z.number().optional(),
});
export type SessionTurnJob = z.infer<typeof SessionTurnJob>;

/** The payload schema of each queue; producers and processors both validate against it. */
export const QUEUE_PAYLOADS = {
  'session-turns': SessionTurnJob,
} as const satisfies Record<QueueName, z.ZodType>;

/** The payload type of a queue. */
export type QueuePayload<N extends QueueName> = z.infer<(typeof QUEUE_PAYLOADS)[N]>;

/** Thrown for a job whose data does not match its queue's schema (never retried). */
export class InvalidJobPayloadError extends Error {
  override name = 'InvalidJobPayloadError';
}

/** Parses a job's data as it leaves the queue. */
export function parseJobPayload<N extends QueueName>(queue: N, data: unknown): QueuePayload<N> {
  const parsed = QUEUE_PAYLOADS[queue].safeParse(data);
  if (!parsed.success) throw new InvalidJobPayloadError(`invalid ${queue} job payload: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
