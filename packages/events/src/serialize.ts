import type { SessionEvent } from '@stratus/contracts';
import { newId, type Event as EventRow } from '@stratus/db';

/** The public shape of a stored event: common fields, then the payload flat at top level. */
export function toPublicEvent(row: EventRow): SessionEvent {
  return {
    ...(row.payload as Record<string, unknown>),
    id: row.id,
    type: row.type as SessionEvent['type'],
    session_id: row.sessionId,
    turn_id: row.turnId,
    created_at: row.createdAt.toISOString(),
    processed_at: row.processedAt?.toISOString() ?? null,
  };
}

/**
 * The session.deleted event: never stored (the session's events go with it), but published to live
 * readers and delivered to webhooks, under one id.
 */
export function sessionDeletedEvent(sessionId: string, at = new Date()): SessionEvent {
  return { id: newId('event'), type: 'session.deleted', session_id: sessionId, turn_id: null, created_at: at.toISOString(), processed_at: null };
}
