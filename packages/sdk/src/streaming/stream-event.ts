import type { DeltaEventType, SessionEvent } from '@stratus/contracts';

/** A live preview starts: deltas with this event id follow; the persisted event with the same id is authoritative. */
export interface EventStart {
  type: 'event_start';
  event: { id: string; type: DeltaEventType };
}

/** A piece of a previewed event's text. */
export interface EventDelta {
  type: 'event_delta';
  event_id: string;
  delta: { type: 'content_delta'; index: number; content: { type: 'text'; text: string } };
}

/** What a session's event stream yields: persisted events and, when asked for, live previews. */
export type StreamEvent = SessionEvent | EventStart | EventDelta;

/** True for a persisted event (as opposed to a preview frame). */
export function isSessionEvent(event: StreamEvent): event is SessionEvent {
  return event.type !== 'event_start' && event.type !== 'event_delta';
}

/** Types after which a session stream has nothing more to say. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['session.deleted', 'session.status_terminated']);
