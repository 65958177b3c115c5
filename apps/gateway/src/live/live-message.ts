import type { DeltaEventType } from '@stratus/contracts';
import { DeltaMessage, PublishedEvent, sessionDeletedEvent } from '@stratus/events';
import { eventFrame, previewFrame } from '../stream/sse-frames';

/** An event from a session channel, decoded once per gateway and shared by every stream of the session. */
export interface LiveEvent {
  seq: number;
  id: string;
  type: string;
  /** The encoded SSE frame, written as is to every stream (no per-stream encoding). */
  frame: Buffer;
  /** The publisher's trace context and publish time (epoch ms), when it sent them. */
  traceparent?: string;
  publishedAt?: number;
}

/** A preview message from a session's deltas channel. */
export type LivePreview =
  | { kind: 'start'; eventId: string; eventType: DeltaEventType; frame: Buffer }
  | { kind: 'delta'; eventId: string; frame: Buffer };

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Decodes a PublishedEvent (`{seq, event}`); undefined for anything else, which is ignored. */
export function decodeEventMessage(raw: string): LiveEvent | undefined {
  const message = PublishedEvent.safeParse(parse(raw));
  if (!message.success) return undefined;
  const { seq, event, traceparent, published_at: publishedAt } = message.data;
  return {
    seq,
    id: event.id,
    type: event.type,
    frame: Buffer.from(eventFrame(event)),
    ...(traceparent !== undefined ? { traceparent } : {}),
    ...(publishedAt !== undefined ? { publishedAt } : {}),
  };
}

/**
 * Decodes what the worker publishes while a model streams: `{"type":"event_start","event":{id,type}}`
 * or `{"type":"event_delta","event_id","delta":{"type":"content_delta","index","content":{"type":"text","text"}}}`.
 * The frame is written from the decoded message, so fields the schema does not know are not forwarded.
 */
export function decodePreviewMessage(raw: string): LivePreview | undefined {
  const decoded = DeltaMessage.safeParse(parse(raw));
  if (!decoded.success) return undefined;
  const message = decoded.data;
  const frame = Buffer.from(previewFrame(message));
  return message.type === 'event_start' ? { kind: 'start', eventId: message.event.id, eventType: message.event.type, frame } : { kind: 'delta', eventId: message.event_id, frame };
}

/**
 * The end of a session whose deletion message never arrived (Redis dropped it). Its seq is past
 * anything stored, so a stream writes it after everything PostgreSQL still has.
 */
export function deletedLiveEvent(sessionId: string, id: string, at: Date): LiveEvent {
  const event = sessionDeletedEvent(sessionId, { id, at });
  return { seq: Number.MAX_SAFE_INTEGER, id, type: event.type, frame: Buffer.from(eventFrame(event)) };
}
