import type { SessionEvent } from '@stratus/contracts';
import type { Event as EventRow } from '@stratus/db';

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
