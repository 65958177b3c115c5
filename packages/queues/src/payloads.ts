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
  /** The W3C traceparent of the request that woke the session: the turn's spans join its trace. */
  traceparent: z.string().max(128).optional(),
});
export type SessionTurnJob = z.infer<typeof SessionTurnJob>;

/**
 * A change to a session's sandbox: stop it once the session has idled out or it was evicted to make
 * room under a cap (`reap`; it re-checks the session when it fires), or stop it because the session was
 * deleted (`destroy`). `reconcile` (from a job scheduler, no session) removes orphans. Nothing starts a
 * sandbox ahead of a turn: a `provision` job left by an older API fails as an invalid payload, harmlessly.
 */
export const SandboxLifecycleJob = z.discriminatedUnion('action', [
  z.object({ action: z.enum(['reap', 'destroy']), sessionId: z.string().min(1).max(64) }),
  z.object({ action: z.literal('reconcile') }),
]);
export type SandboxLifecycleJob = z.infer<typeof SandboxLifecycleJob>;

/**
 * One attempt of a webhook delivery. `attempt` (1-based) makes the job id unique per attempt and lets
 * the processor ignore a job whose attempt was already made (or superseded).
 */
export const WebhookDeliveryJob = z.object({
  deliveryId: z.string().min(1).max(64),
  attempt: z.int().min(1),
});
export type WebhookDeliveryJob = z.infer<typeof WebhookDeliveryJob>;

/** The payload schema of each queue; producers and processors both validate against it. */
export const QUEUE_PAYLOADS = {
  'session-turns': SessionTurnJob,
  'sandbox-lifecycle': SandboxLifecycleJob,
  'webhook-delivery': WebhookDeliveryJob,
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
  // safeParse on the indexed schema loses the link to N; the schema is N's, so the data is N's payload.
  return parsed.data as QueuePayload<N>;
}
