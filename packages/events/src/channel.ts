import { DeltaEventType } from '@stratus/contracts';
import { z } from 'zod';

/**
 * The Redis pub/sub channel that carries a session's live events, under the deployment's
 * REDIS_KEY_PREFIX: deployments sharing one Redis never hear each other's sessions, even when
 * their ids are equal (a copy restored from another deployment's backup).
 */
export function sessionChannel(redisKeyPrefix: string, sessionId: string): string {
  return `${redisKeyPrefix}session:${sessionId}`;
}

/**
 * What is published on a session channel: the stored event (its public shape, every field kept in
 * the order it was published), its sequence number, and for telemetry the W3C traceparent of the
 * span that committed it (tracing on: the gateway's delivery joins that trace) and when it was
 * published (epoch ms, for the publish→deliver lag).
 */
export const PublishedEvent = z.object({
  seq: z.int().min(1),
  event: z.looseObject({ id: z.string(), type: z.string() }),
  traceparent: z.string().optional(),
  published_at: z.number().optional(),
});
export type PublishedEvent = z.infer<typeof PublishedEvent>;

/** The channel of a session's live previews (event_start / event_delta); never stored, best-effort. */
export function deltaChannel(redisKeyPrefix: string, sessionId: string): string {
  return `${sessionChannel(redisKeyPrefix, sessionId)}:deltas`;
}

/** What is published on a delta channel, exactly as the stream forwards it (anything else is dropped when read). */
export const DeltaMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event_start'), event: z.object({ id: z.string(), type: DeltaEventType }) }),
  z.object({
    type: z.literal('event_delta'),
    event_id: z.string(),
    delta: z.object({ type: z.literal('content_delta'), index: z.int().min(0), content: z.object({ type: z.literal('text'), text: z.string() }) }),
  }),
]);
export type DeltaMessage = z.infer<typeof DeltaMessage>;
