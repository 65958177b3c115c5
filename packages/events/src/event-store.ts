import type { DeltaEventType, SessionEvent } from '@stratus/contracts';
import { newId, Prisma, type Event as EventRow, type PrismaClient, type SessionStatus } from '@stratus/db';
import type { Redis } from 'ioredis';
import { currentTraceparent } from '@stratus/telemetry';
import { deltaChannel, sessionChannel, type DeltaMessage, type PublishedEvent } from './channel';
import { sessionDeletedEvent, toPublicEvent } from './serialize';
import { SESSION_TRANSITIONS, SessionTransitionError, type SessionTransition } from './session-status';
import type { NewEvent } from './typed-events';

/** A status change made with an append, checked against the session status table under the row lock. */
export interface AppendTransition {
  name: Extract<SessionTransition, 'wake' | 'interrupt' | 'end' | 'next'>;
  /** The turn job that owned the session lets it go (turn_job_id becomes null). */
  releaseOwner?: boolean;
}

/** What the caller saw of the session when it decided what to append: the append is made only if it still holds. */
export interface SessionExpectation {
  status: SessionStatus;
  archived: boolean;
  /** No event of these types was appended after this sequence number. */
  quietAfter: { seq: number; types: readonly string[] };
}

/** How an append is scoped, what it checks, and what it changes on the session row besides its sequence. */
export interface AppendOptions {
  /** The workspace the session must belong to: another workspace's session is not found. */
  workspaceId?: string;
  /** Only while this turn job owns the session (SessionOwnerError otherwise). */
  owner?: string;
  /** Only while the session is as the caller saw it (SessionChangedError otherwise). */
  expect?: SessionExpectation;
  /** User events the append takes: processed_at and turn_id are set on those not processed yet. */
  consume?: { ids: string[]; turnId: string };
  transition?: AppendTransition;
  /** Replaces `transition` when user.message events remain unprocessed after `consume` (outcome.queued). */
  transitionIfQueued?: AppendTransition;
  /** Token usage, counted when the event with `key` is new (a replayed step is not counted twice). */
  usage?: { key: string; input: number; output: number };
  /** Counts a turn in the session's stats when the event with this dedupe key is new. */
  turnKey?: string;
  /** Running time to add to the session's active time. */
  activeMs?: number;
  /**
   * A data-modifying WITH clause (`WITH name AS (UPDATE ...)`) made in the append's statement: a write
   * that goes with this append and so costs no round trip of its own. It is made whatever the append's
   * outcome, so it must be harmless when the append is refused.
   */
  alongside?: Prisma.Sql;
}

/** What an append did, and the state of the session row it locked. */
export interface AppendOutcome {
  /** One row per event asked for, in order: the stored one for a dedupeKey seen before. */
  rows: EventRow[];
  /** The rows this append created (what is to be published). */
  fresh: EventRow[];
  /** The session's status as read under its row lock, before this append changed it. */
  status: SessionStatus;
  /** The turn job that owned the session, as read under the lock. */
  turnJobId: string | null;
  workspaceId: string;
  /** With transitionIfQueued: user messages were left unprocessed, and that transition was made. */
  queued: boolean;
}

/** Thrown when the session does not exist (or was deleted) while appending. */
export class SessionNotFoundError extends Error {
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} not found`);
  }
}

/** Thrown, with nothing written, when an append for a turn job finds the session owned by another (or none). */
export class SessionOwnerError extends Error {
  override name = 'SessionOwnerError';
  constructor(
    readonly sessionId: string,
    readonly owner: string | null,
  ) {
    super(`session ${sessionId} is now run by ${owner ?? '(none)'}`);
  }
}

/** Thrown, with nothing written, when the session is no longer as the caller saw it: read it again and decide again. */
export class SessionChangedError extends Error {
  override name = 'SessionChangedError';
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} changed while the append was decided`);
  }
}

/** Thrown, with nothing written, when the session is archived: an archived session takes no events. */
export class SessionArchivedError extends Error {
  override name = 'SessionArchivedError';
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} is archived`);
  }
}

/** An events row as to_jsonb renders it (timestamps as strings). */
export interface StoredEventJson {
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

/** An events row read as JSON (json_agg, to_jsonb) as Prisma would return it. */
export function fromStored(row: StoredEventJson): EventRow {
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

/** What append_session_events (the migrations 20261208030000_append_session_events, 20261209040000_append_session_events_archived) returns. */
interface AppendRow {
  outcome: 'appended' | 'not_found' | 'taken' | 'stale' | 'archived' | 'refused';
  status: SessionStatus | null;
  turn_job_id: string | null;
  workspace_id: string | null;
  queued: boolean;
  rows: (StoredEventJson & { fresh: boolean })[];
}

type Db = Prisma.TransactionClient;

/** A transition as the SQL function checks it: its row of the status table. */
function transitionJson(transition: AppendTransition | undefined): string | null {
  if (!transition) return null;
  const { from, to } = SESSION_TRANSITIONS[transition.name];
  return JSON.stringify({ name: transition.name, from, to, release_owner: transition.releaseOwner ?? false });
}

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
  async appendInTransaction(tx: Db, sessionId: string, events: NewEvent[]): Promise<EventRow[]> {
    return (await this.appendWithOutcome(tx, sessionId, events)).rows;
  }

  /**
   * appendInTransaction, also telling which rows are new and what the locked session row said, after
   * checking what `options` asks of the session and making the changes it asks for. One round trip: a
   * call of append_session_events, which locks the session row, checks, inserts and updates. Given the
   * PrismaClient rather than a transaction, it is a transaction of its own (one statement). Throws, with
   * nothing written: SessionNotFoundError, SessionOwnerError, SessionChangedError, SessionArchivedError,
   * SessionTransitionError.
   */
  async appendWithOutcome(db: Db, sessionId: string, events: NewEvent[], options: AppendOptions = {}): Promise<AppendOutcome> {
    const { workspaceId, owner, expect, consume, transition, transitionIfQueued, usage, turnKey, activeMs, alongside } = options;
    const asked = JSON.stringify(
      events.map((e) => ({ id: e.id ?? newId('event'), type: e.type, turn_id: e.turnId ?? null, dedupe_key: e.dedupeKey ?? null, payload: e.payload, processed: e.processed ?? false })),
    );
    const [row] = await db.$queryRaw<AppendRow[]>`
      ${alongside ?? Prisma.empty}
      SELECT * FROM append_session_events(
        p_session_id => ${sessionId}::text,
        p_workspace_id => ${workspaceId ?? null}::text,
        p_events => ${asked}::jsonb,
        p_now => ${new Date().toISOString()}::text,
        p_owner => ${owner ?? null}::text,
        p_expect_status => ${expect?.status ?? null}::session_status,
        p_expect_archived => ${expect?.archived ?? null}::boolean,
        p_quiet_after_seq => ${expect?.quietAfter.seq ?? null}::int,
        p_quiet_types => ${expect ? [...expect.quietAfter.types] : null}::text[],
        p_consume_ids => ${consume?.ids ?? null}::text[],
        p_consume_turn_id => ${consume?.turnId ?? null}::text,
        p_transition => ${transitionJson(transition)}::jsonb,
        p_transition_if_queued => ${transitionJson(transitionIfQueued)}::jsonb,
        p_usage_key => ${usage?.key ?? null}::text,
        p_input_tokens => ${usage?.input ?? 0}::int,
        p_output_tokens => ${usage?.output ?? 0}::int,
        p_turn_key => ${turnKey ?? null}::text,
        p_active_ms => ${Math.round(activeMs ?? 0)}::bigint)`;
    switch (row!.outcome) {
      case 'not_found':
        throw new SessionNotFoundError(sessionId);
      case 'taken':
        throw new SessionOwnerError(sessionId, row!.turn_job_id);
      case 'stale':
        throw new SessionChangedError(sessionId);
      case 'archived':
        throw new SessionArchivedError(sessionId);
      case 'refused': {
        const refused = row!.queued ? transitionIfQueued! : transition!;
        throw new SessionTransitionError(refused.name, row!.status!);
      }
      case 'appended': {
        const rows = row!.rows.map(fromStored);
        return {
          rows,
          fresh: rows.filter((_, i) => row!.rows[i]!.fresh),
          status: row!.status!,
          turnJobId: row!.turn_job_id,
          workspaceId: row!.workspace_id!,
          queued: row!.queued,
        };
      }
    }
  }

  /** Appends events (one statement: a transaction of its own), then publishes them. */
  async append(sessionId: string, events: NewEvent[]): Promise<EventRow[]> {
    const outcome = await this.appendWithOutcome(this.prisma, sessionId, events);
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
