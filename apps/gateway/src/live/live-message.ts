import type { DeltaEventType } from '@stratus/contracts';
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

const DELTA_TYPES: ReadonlySet<string> = new Set<DeltaEventType>(['agent.message', 'agent.thinking']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Decodes a PublishedEvent (`{seq, event}`); undefined for anything else, which is ignored. */
export function decodeEventMessage(raw: string): LiveEvent | undefined {
  const message = parse(raw);
  if (!isRecord(message) || !isRecord(message.event)) return undefined;
  const { seq, event, traceparent, published_at: publishedAt } = message;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || typeof event.id !== 'string' || typeof event.type !== 'string') return undefined;
  return {
    seq,
    id: event.id,
    type: event.type,
    frame: Buffer.from(eventFrame(event as { id: string; type: string })),
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
    ...(typeof publishedAt === 'number' ? { publishedAt } : {}),
  };
}

/**
 * Decodes what the worker publishes while a model streams: `{"type":"event_start","event":{id,type}}`
 * or `{"type":"event_delta","event_id","delta":{"type":"content_delta","index","content":{"type":"text","text"}}}`.
 */
export function decodePreviewMessage(raw: string): LivePreview | undefined {
  const message = parse(raw);
  if (!isRecord(message)) return undefined;
  if (message.type === 'event_start') {
    const event = message.event;
    if (!isRecord(event) || typeof event.id !== 'string' || typeof event.type !== 'string' || !DELTA_TYPES.has(event.type)) return undefined;
    const eventType = event.type as DeltaEventType;
    return { kind: 'start', eventId: event.id, eventType, frame: Buffer.from(previewFrame({ type: 'event_start', event: { id: event.id, type: eventType } })) };
  }
  if (message.type === 'event_delta') {
    const delta = message.delta;
    if (typeof message.event_id !== 'string' || !isRecord(delta) || delta.type !== 'content_delta' || typeof delta.index !== 'number' || !isRecord(delta.content)) return undefined;
    if (delta.content.type !== 'text' || typeof delta.content.text !== 'string') return undefined;
    const canonical = { type: 'content_delta', index: delta.index, content: { type: 'text', text: delta.content.text } };
    return { kind: 'delta', eventId: message.event_id, frame: Buffer.from(previewFrame({ type: 'event_delta', event_id: message.event_id, delta: canonical })) };
  }
  return undefined;
}

/**
 * The end of a session whose deletion message never arrived (Redis dropped it). Its seq is past
 * anything stored, so a stream writes it after everything PostgreSQL still has.
 */
export function sessionDeletedEvent(sessionId: string, id: string, at: Date): LiveEvent {
  const event = { id, type: 'session.deleted', session_id: sessionId, turn_id: null, created_at: at.toISOString(), processed_at: null };
  return { seq: Number.MAX_SAFE_INTEGER, id, type: event.type, frame: Buffer.from(eventFrame(event)) };
}
