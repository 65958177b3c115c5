import type { SessionEvent } from '@stratus/contracts';
import { newId, type Event as EventRow, type Prisma } from '@stratus/db';

const isJsonObject = (value: Prisma.JsonValue): value is Prisma.JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The public shape of a stored event: common fields, then the payload flat at top level. The payload
 * was checked against its type's schema when the event was built (newEvent); it is copied as stored.
 * The order of the fields is the one live readers see too (channel.ts keeps it).
 */
export function toPublicEvent(row: EventRow): SessionEvent {
  return {
    id: row.id,
    type: row.type as SessionEvent['type'],
    session_id: row.sessionId,
    turn_id: row.turnId,
    created_at: row.createdAt.toISOString(),
    processed_at: row.processedAt?.toISOString() ?? null,
    ...(isJsonObject(row.payload) ? row.payload : {}),
  };
}

/**
 * The session.deleted event: never stored (the session's events go with it), but published to live
 * readers and delivered to webhooks, under one id. The one builder of it: the API when it deletes a
 * session, a gateway when the deletion's message never reached it.
 */
export function sessionDeletedEvent(sessionId: string, { id = newId('event'), at = new Date() }: { id?: string; at?: Date } = {}): SessionEvent {
  return { id, type: 'session.deleted', session_id: sessionId, turn_id: null, created_at: at.toISOString(), processed_at: null };
}
