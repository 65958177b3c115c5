import type { DeltaEventType } from '@stratus/contracts';

/**
 * The Redis pub/sub channel that carries a session's live events, under the deployment's
 * REDIS_KEY_PREFIX: deployments sharing one Redis never hear each other's sessions, even when
 * their ids are equal (a copy restored from another deployment's backup).
 */
export function sessionChannel(redisKeyPrefix: string, sessionId: string): string {
  return `${redisKeyPrefix}session:${sessionId}`;
}

/** What is published on a session channel: the stored event and its sequence number. */
export interface PublishedEvent {
  seq: number;
  event: Record<string, unknown> & { id: string; type: string };
  /** The W3C traceparent of the span that committed it (tracing on): the gateway's delivery joins that trace. */
  traceparent?: string;
  /** When it was published (epoch ms), for the publish→deliver lag. */
  published_at?: number;
}

/** The channel of a session's live previews (event_start / event_delta); never stored, best-effort. */
export function deltaChannel(redisKeyPrefix: string, sessionId: string): string {
  return `${sessionChannel(redisKeyPrefix, sessionId)}:deltas`;
}

/** What is published on a delta channel, exactly as the stream forwards it. */
export type DeltaMessage =
  | { type: 'event_start'; event: { id: string; type: DeltaEventType } }
  | { type: 'event_delta'; event_id: string; delta: { type: 'content_delta'; index: number; content: { type: 'text'; text: string } } };
