import type { EventType } from '@stratus/contracts';
import { newId, type Event as EventRow, type Prisma, type PrismaClient } from '@stratus/db';
import type { Redis } from 'ioredis';
import { sessionChannel, type PublishedEvent } from './channel';
import { toPublicEvent } from './serialize';

/** One event to append; its id, sequence number and timestamps are assigned by the store. */
export interface NewEvent {
  type: EventType;
  turnId?: string | null;
  /** Makes the append idempotent: an event with the same key in the same session is not stored twice. */
  dedupeKey?: string;
  payload: Record<string, unknown>;
  /** Set for events that need no processing (everything Stratus emits). */
  processed?: boolean;
}

/** Thrown when the session does not exist (or was deleted) while appending. */
export class SessionNotFoundError extends Error {
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} not found`);
  }
}

type Tx = Prisma.TransactionClient;

/**
 * The session event log. PostgreSQL is the source of truth: an event is committed with its
 * per-session sequence number before it is published on Redis, and nothing uncommitted is
 * ever published. Redis pub/sub is only the live path; readers repair gaps from PostgreSQL.
 */
export class EventStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly publisher: Redis,
  ) {}

  /**
   * Appends events inside the caller's transaction. The session row is locked first, so
   * sequence numbers are gap-free and ordered. Events whose dedupeKey is already stored are
   * returned as stored instead of being appended again.
   */
  async appendInTransaction(tx: Tx, sessionId: string, events: NewEvent[]): Promise<EventRow[]> {
    const locked = await tx.$queryRaw<{ last_seq: number; workspace_id: string }[]>`
      SELECT last_seq, workspace_id FROM sessions WHERE id = ${sessionId} FOR UPDATE`;
    const session = locked[0];
    if (!session) throw new SessionNotFoundError(sessionId);

    const keys = events.map((e) => e.dedupeKey).filter((k): k is string => k !== undefined);
    const existing = keys.length
      ? new Map((await tx.event.findMany({ where: { sessionId, dedupeKey: { in: keys } } })).map((row) => [row.dedupeKey!, row]))
      : new Map<string, EventRow>();

    const now = new Date();
    let seq = session.last_seq;
    const result: EventRow[] = [];
    const fresh: Prisma.EventCreateManyInput[] = [];
    for (const event of events) {
      const stored = event.dedupeKey ? existing.get(event.dedupeKey) : undefined;
      if (stored) {
        result.push(stored);
        continue;
      }
      seq += 1;
      const row: EventRow = {
        id: newId('event'),
        sessionId,
        workspaceId: session.workspace_id,
        seq,
        type: event.type,
        turnId: event.turnId ?? null,
        dedupeKey: event.dedupeKey ?? null,
        payload: event.payload as Prisma.JsonValue,
        createdAt: now,
        processedAt: event.processed ? now : null,
      };
      fresh.push({ ...row, payload: event.payload as Prisma.InputJsonValue });
      result.push(row);
    }
    if (fresh.length > 0) {
      await tx.event.createMany({ data: fresh });
      await tx.session.update({ where: { id: sessionId }, data: { lastSeq: seq, updatedAt: now } });
    }
    return result;
  }

  /** Appends events in a transaction of their own, then publishes them. */
  async append(sessionId: string, events: NewEvent[]): Promise<EventRow[]> {
    const rows = await this.prisma.$transaction((tx) => this.appendInTransaction(tx, sessionId, events));
    await this.publish(rows);
    return rows;
  }

  /**
   * Publishes committed events on their session's channel, in order. Best-effort: a failed
   * publish loses nothing, because stream readers repair sequence gaps from PostgreSQL.
   */
  async publish(rows: EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    const pipeline = this.publisher.pipeline();
    for (const row of rows) {
      const message: PublishedEvent = { seq: row.seq, event: toPublicEvent(row) };
      pipeline.publish(sessionChannel(row.sessionId), JSON.stringify(message));
    }
    await pipeline.exec().catch(() => undefined);
  }

  /**
   * Tells live readers that the session is gone. Not stored (the session's events were deleted
   * with it); it carries the next sequence number so readers see it after everything else.
   */
  async publishDeleted(sessionId: string, lastSeq: number): Promise<void> {
    const message: PublishedEvent = {
      seq: lastSeq + 1,
      event: { id: newId('event'), type: 'session.deleted', session_id: sessionId, turn_id: null, created_at: new Date().toISOString(), processed_at: null },
    };
    await this.publisher.publish(sessionChannel(sessionId), JSON.stringify(message)).catch(() => undefined);
  }

  /** Events of a session after a sequence number, in order (history replay and gap repair). */
  async readAfter(sessionId: string, afterSeq: number, limit = 500): Promise<EventRow[]> {
    return this.prisma.event.findMany({ where: { sessionId, seq: { gt: afterSeq } }, orderBy: { seq: 'asc' }, take: limit });
  }
}
