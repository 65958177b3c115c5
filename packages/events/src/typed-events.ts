import { EventPayloads, EventType, type EventPayload } from '@stratus/contracts';
import { z } from 'zod';

/** How an event is stored besides its type and payload. */
export interface EventOptions {
  /**
   * Preassigned id (from newId('event')), for an event whose live preview was streamed before it was
   * stored: the preview carries the id the stored event will have. Assigned by the store when omitted.
   */
  id?: string;
  turnId?: string | null;
  /** Makes the append idempotent: an event with the same key in the same session is not stored twice. */
  dedupeKey?: string;
  /** Set for events that need no processing (everything Stratus emits). */
  processed?: boolean;
}

/** One event of type T to append; its sequence number and timestamps are assigned by the store. */
export interface NewEventOf<T extends EventType> extends EventOptions {
  type: T;
  payload: EventPayload<T>;
}

/** One event to append, of any type: its payload is the one its type's schema describes. */
export type NewEvent = { [T in EventType]: NewEventOf<T> }[EventType];

/** What a reader needs of an event: a stored row, or one staged for the next commit. */
export interface LoggedEvent {
  id: string;
  type: string;
  payload: unknown;
}

/** An event whose payload is not what its type's schema says (a bug, or a row written by hand). */
export class EventPayloadError extends Error {
  override name = 'EventPayloadError';
}

/** Builds an event to append; throws EventPayloadError when the payload does not match the type's schema. */
export function newEvent<T extends EventType>(type: T, payload: EventPayload<T>, options: EventOptions = {}): NewEventOf<T> {
  const parsed = EventPayloads[type].safeParse(payload);
  if (!parsed.success) throw new EventPayloadError(`a ${type} event cannot have this payload: ${z.prettifyError(parsed.error)}`);
  return { ...options, type, payload: parsed.data };
}

/** Whether a stored type names one of the event types (rows are typed `string` by the database client). */
export function isEventType(type: string): type is EventType {
  return EventType.safeParse(type).success;
}

/**
 * The payload of an event of type `type`, checked against the type's schema; throws EventPayloadError
 * when the event is of another type or its payload does not match.
 */
export function payloadOf<T extends EventType>(event: LoggedEvent, type: T): EventPayload<T> {
  if (event.type !== type) throw new EventPayloadError(`event ${event.id} is a ${event.type}, not a ${type}`);
  const parsed = EventPayloads[type].safeParse(event.payload);
  if (!parsed.success) throw new EventPayloadError(`event ${event.id} (${type}) has a payload its type does not allow: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The text of a `content` array, blocks joined by line breaks. */
export function contentText(content: readonly { text: string }[]): string {
  return content.map((block) => block.text).join('\n');
}
