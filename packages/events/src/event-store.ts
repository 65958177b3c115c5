import type { DeltaEventType, SessionEvent } from '@stratus/contracts';
import { newId, type Event as EventRow, type Prisma, type PrismaClient, type SessionStatus } from '@stratus/db';
import type { Redis } from 'ioredis';
import { currentTraceparent } from '@stratus/telemetry';
import { deltaChannel, sessionChannel, type DeltaMessage, type PublishedEvent } from './channel';
import { sessionDeletedEvent, toPublicEvent } from './serialize';
import { statusAfter, type SessionTransition } from './session-status';
import type { NewEvent } from './typed-events';
import { webhookDeliveriesOf, type NewDelivery, type SubscribedWebhook } from './webhook-outbox';

/** Changes made to the session row together with an append (counters are added to). */
export interface SessionChanges {
  inputTokens?: number;
  outputTokens?: number;
  turns?: number;
  activeMs?: number;
  /** The status change that comes with these events, checked against the session status table under the row lock. */
  transition?: Extract<SessionTransition, 'wake' | 'interrupt' | 'end' | 'next'>;
  /** The turn job that owns the session; null releases it. */
  turnJobId?: string | null;
}

/** An events row as json_agg renders it (timestamps as strings). */
interface StoredEventJson {
  id: string;
  session_id: string;
  workspace_id: string;
  seq: number;
  type: string;
  turn_id: string | null;
  dedupe_key: string | null;
  payload: Prisma.JsonValue;
  created_at: string;
  processed_at: string | null;
}

function fromStored(row: StoredEventJson): EventRow {
  return {
    id: row.id,
    sessionId: row.session_id,
    workspaceId: row.workspace_id,
    seq: row.seq,
    type: row.type,
    turnId: row.turn_id,
    dedupeKey: row.dedupe_key,
    payload: row.payload,
    createdAt: new Date(row.created_at),
    processedAt: row.processed_at === null ? null : new Date(row.processed_at),
  };
}

/** What an append did, and the state of the session row it locked. */
export interface AppendOutcome {
  /** One row per event asked for, in order: the stored one for a dedupeKey seen before. */
  rows: EventRow[];
  /** The rows this append created (what is to be published). */
  fresh: EventRow[];
  /** The session's status as read under its row lock, before anything the caller changes. */
  status: SessionStatus;
  /** The turn job that owned the session, as read under the lock. */
  turnJobId: string | null;
  workspaceId: string;
}

/** How an append is scoped, and what it changes on the session row besides its sequence. */
export interface AppendOptions {
  /** The workspace the session must belong to: another workspace's session is not found. */
  workspaceId?: string;
  /** Changes to the session row, given the rows this append creates; made in the statement that inserts them. */
  changes?: (fresh: EventRow[]) => SessionChanges | undefined;
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
 * Webhook deliveries of an event are written in the statement that inserts it (a transactional
 * outbox): whatever commits an event commits its deliveries, so none is lost and none is made twice.
 */
export class EventStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly publisher: Redis,
    /** The deployment's REDIS_KEY_PREFIX, which every channel is published under. */
    private readonly redisKeyPrefix: string,
  ) {}

  /**
   * Appends events inside the caller's transaction. The session row is locked first, so
   * sequence numbers are gap-free and ordered. Events whose dedupeKey is already stored are
   * returned as stored instead of being appended again.
   */
  async appendInTransaction(tx: Tx, sessionId: string, events: NewEvent[]): Promise<EventRow[]> {
    return (await this.appendWithOutcome(tx, sessionId, events)).rows;
  }

  /**
   * appendInTransaction, also telling which rows are new and what the locked session row said, and
   * applying `changes` (given the new rows) to that row in the same statement as the insert. Two round
   * trips, lock-and-lookup then insert-and-update, in raw SQL: this is the hot path of every turn.
   */
  async appendWithOutcome(tx: Tx, sessionId: string, events: NewEvent[], { workspaceId, changes }: AppendOptions = {}): Promise<AppendOutcome> {
    // One round trip for the lock and the dedupe lookup. The lookup reads the snapshot taken before the
    // lock was granted: a caller that races another writer of the same keys without locking the row first
    // gets a unique-key error (nothing is stored twice); the API and turn-ending commits lock first.
    const keys = events.map((e) => e.dedupeKey).filter((k): k is string => k !== undefined);
    // The workspace's enabled webhooks come with the lock: their deliveries are written with the events.
    const locked = await tx.$queryRaw<{ last_seq: number; workspace_id: string; status: SessionStatus; turn_job_id: string | null; existing: StoredEventJson[]; webhooks: SubscribedWebhook[] }[]>`
      SELECT s.last_seq, s.workspace_id, s.status, s.turn_job_id,
        (SELECT coalesce(json_agg(json_build_object('id', w.id, 'event_types', w.event_types)), '[]'::json)
          FROM webhooks w WHERE w.workspace_id = s.workspace_id AND w.enabled) AS webhooks,
        CASE WHEN ${keys.length} = 0 THEN '[]'::json ELSE (
          SELECT coalesce(json_agg(e), '[]'::json) FROM (
            SELECT id, session_id, workspace_id, seq, type, turn_id, dedupe_key, payload, created_at, processed_at
            FROM events WHERE session_id = s.id AND dedupe_key = ANY(${keys})
          ) e
        ) END AS existing
      FROM sessions s WHERE s.id = ${sessionId} AND (${workspaceId ?? null}::text IS NULL OR s.workspace_id = ${workspaceId ?? null}) FOR UPDATE OF s`;
    const session = locked[0];
    if (!session) throw new SessionNotFoundError(sessionId);
    const existing = new Map<string, EventRow>(session.existing.map((row) => [row.dedupe_key!, fromStored(row)]));

    const now = new Date();
    let seq = session.last_seq;
    const rows: EventRow[] = [];
    const fresh: EventRow[] = [];
    for (const event of events) {
      const stored = event.dedupeKey ? existing.get(event.dedupeKey) : undefined;
      if (stored) {
        rows.push(stored);
        continue;
      }
      seq += 1;
      const row: EventRow = {
        id: event.id ?? newId('event'),
        sessionId,
        workspaceId: session.workspace_id,
        seq,
        type: event.type,
        turnId: event.turnId ?? null,
        dedupeKey: event.dedupeKey ?? null,
        payload: event.payload,
        createdAt: now,
        processedAt: event.processed ? now : null,
      };
      // The same key twice in one batch is stored once, like a key stored by an earlier append.
      if (row.dedupeKey) existing.set(row.dedupeKey, row);
      fresh.push(row);
      rows.push(row);
    }
    const change = changes?.(fresh);
    const deliveries = session.webhooks.length > 0 ? webhookDeliveriesOf(fresh.map(toPublicEvent), session.webhooks) : [];
    // A transition the table refuses throws here, before anything is written: the transaction rolls back.
    const status = change?.transition ? statusAfter(session.status, change.transition) : null;
    if (fresh.length > 0 || change) await this.insertAndUpdate(tx, sessionId, session.workspace_id, fresh, deliveries, seq, now, change ?? {}, status);
    return { rows, fresh, status: session.status, turnJobId: session.turn_job_id, workspaceId: session.workspace_id };
  }

  private async insertAndUpdate(tx: Tx, sessionId: string, workspaceId: string, fresh: EventRow[], deliveries: NewDelivery[], lastSeq: number, now: Date, change: SessionChanges, status: SessionStatus | null): Promise<void> {
    const outbox = JSON.stringify(deliveries);
    const json = JSON.stringify(
      fresh.map((row) => ({ id: row.id, seq: row.seq, type: row.type, turn_id: row.turnId, dedupe_key: row.dedupeKey, payload: row.payload, processed_at: row.processedAt })),
    );
    const ownerChanges = change.turnJobId !== undefined;
    await tx.$executeRaw`
      WITH inserted AS (
        INSERT INTO events (id, session_id, workspace_id, seq, type, turn_id, dedupe_key, payload, created_at, processed_at)
        SELECT x.id, ${sessionId}, ${workspaceId}, x.seq, x.type, x.turn_id, x.dedupe_key, x.payload, ${now}, x.processed_at
        FROM jsonb_to_recordset(${json}::jsonb) AS x(id text, seq int, type text, turn_id text, dedupe_key text, payload jsonb, processed_at timestamptz)
      ), outbox AS (
        INSERT INTO webhook_deliveries (id, workspace_id, webhook_id, event_id, session_id, event_type, data, next_attempt_at, created_at)
        SELECT d.id, ${workspaceId}, d.webhook_id, d.event_id, ${sessionId}, d.event_type, d.data, ${now}, ${now}
        FROM jsonb_to_recordset(${outbox}::jsonb) AS d(id text, webhook_id text, event_id text, event_type text, data jsonb)
      )
      UPDATE sessions SET
        last_seq = ${lastSeq},
        updated_at = ${now},
        input_tokens = input_tokens + ${change.inputTokens ?? 0},
        output_tokens = output_tokens + ${change.outputTokens ?? 0},
        turns = turns + ${change.turns ?? 0},
        active_ms = active_ms + ${Math.round(change.activeMs ?? 0)},
        status = COALESCE(${status}::session_status, status),
        turn_job_id = CASE WHEN ${ownerChanges} THEN ${change.turnJobId ?? null} ELSE turn_job_id END
      WHERE id = ${sessionId} AND workspace_id = ${workspaceId}`;
  }

  /** Appends events in a transaction of their own, then publishes them. */
  async append(sessionId: string, events: NewEvent[]): Promise<EventRow[]> {
    const outcome = await this.prisma.$transaction((tx) => this.appendWithOutcome(tx, sessionId, events));
    await this.publish(outcome.fresh);
    return outcome.rows;
  }

  /**
   * Publishes committed events on their session's channel, in order. Best-effort: a failed
   * publish loses nothing, because stream readers repair sequence gaps from PostgreSQL.
   */
  async publish(rows: EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    const pipeline = this.publisher.pipeline();
    const traceparent = currentTraceparent();
    const publishedAt = Date.now();
    for (const row of rows) {
      const message: PublishedEvent = { seq: row.seq, event: toPublicEvent(row), traceparent, published_at: publishedAt };
      pipeline.publish(sessionChannel(this.redisKeyPrefix, row.sessionId), JSON.stringify(message));
    }
    await pipeline.exec().catch(() => undefined);
  }

  /**
   * Tells live readers that the session is gone. Not stored (the session's events were deleted
   * with it); it carries the next sequence number so readers see it after everything else. Pass the
   * event whose webhook deliveries were written with the deletion, so both carry one id.
   */
  async publishDeleted(sessionId: string, lastSeq: number, event: SessionEvent = sessionDeletedEvent(sessionId)): Promise<void> {
    const message: PublishedEvent = { seq: lastSeq + 1, event };
    await this.publisher.publish(sessionChannel(this.redisKeyPrefix, sessionId), JSON.stringify(message)).catch(() => undefined);
  }

  /**
   * Announces the live preview of an event that is not stored yet: `event_start` with the id the stored
   * event will have. Previews are best-effort and never stored; the stored event is authoritative.
   */
  async publishDeltaStart(sessionId: string, event: { id: string; type: DeltaEventType }): Promise<void> {
    await this.publishDelta(sessionId, { type: 'event_start', event });
  }

  /** One piece of a previewed event's text (`index`: the content block it belongs to). */
  async publishDeltaText(sessionId: string, eventId: string, index: number, text: string): Promise<void> {
    await this.publishDelta(sessionId, { type: 'event_delta', event_id: eventId, delta: { type: 'content_delta', index, content: { type: 'text', text } } });
  }

  private async publishDelta(sessionId: string, message: DeltaMessage): Promise<void> {
    await this.publisher.publish(deltaChannel(this.redisKeyPrefix, sessionId), JSON.stringify(message)).catch(() => undefined);
  }

  /** Events of a session after a sequence number, in order (history replay and gap repair). */
  async readAfter(sessionId: string, afterSeq: number, limit = 500): Promise<EventRow[]> {
    return this.prisma.event.findMany({ where: { sessionId, seq: { gt: afterSeq } }, orderBy: { seq: 'asc' }, take: limit });
  }
}
