import { Inject, Injectable } from '@nestjs/common';
import type { Event as EventRow, PrismaClient, SessionStatus } from '@stratus/db';
import {
  awaitsAnswer,
  fromStored,
  pendingToolUses,
  SessionChangedError,
  SessionNotFoundError,
  type EventStore,
  type NewEvent,
  type SessionRef,
  type StoredEventJson,
} from '@stratus/events';
import { EVENT_STORE, PRISMA } from '@stratus/nest-common';
import { keysetWhere, type SliceRequest } from '../common/pagination';

/** What a check of a send request sees, read under the session's row lock. */
export interface SessionForSend {
  archived: boolean;
  status: SessionStatus;
  /** Tool uses awaiting an answer: event id → the type of event that asked. */
  pending: Map<string, string>;
}

/** What storing the request does to the session, decided from what it saw. */
export interface SendDecision {
  /** idle → processing: a turn is to run (the caller enqueues it once the events are committed). */
  wake: boolean;
  /** processing → canceling: the running turn is to stop. */
  interrupt: boolean;
}

/** The events that answer a paused turn's tool uses. */
const ANSWER_TYPES = ['user.custom_tool_result', 'user.tool_confirmation'] as const;

/** How many times a send is decided again when the session changed under it before giving up. */
const MAX_SEND_ATTEMPTS = 10;

export interface SendOutcome extends SendDecision {
  rows: EventRow[];
}

@Injectable()
export class EventsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /**
   * The session as a send request is checked against, in one query: its status, and the tool uses of its
   * last pause that still await an answer (the paused turn's event_ids, less those answered since). Null
   * when the workspace has no such session.
   */
  private async sendState(sessionId: string, workspaceId: string): Promise<(SessionForSend & { lastSeq: number }) | null> {
    const rows = await this.prisma.$queryRaw<{ status: SessionStatus; archived: boolean; last_seq: number; asked: StoredEventJson[] | null; answers: StoredEventJson[] | null }[]>`
      SELECT s.status, s.archived_at IS NOT NULL AS archived, s.last_seq, pause.asked, pause.answers
      FROM sessions s
      LEFT JOIN LATERAL (
        SELECT e.seq, e.payload -> 'stop_reason' AS stop FROM events e
        WHERE e.session_id = s.id AND e.type = 'session.status_idle' ORDER BY e.seq DESC LIMIT 1
      ) idle ON idle.stop ->> 'type' = 'requires_action'
      LEFT JOIN LATERAL (
        SELECT
          (SELECT json_agg(e ORDER BY e.seq) FROM events e
            WHERE e.session_id = s.id AND e.id IN (SELECT jsonb_array_elements_text(idle.stop -> 'event_ids'))) AS asked,
          (SELECT json_agg(e ORDER BY e.seq) FROM events e
            WHERE e.session_id = s.id AND e.seq > idle.seq AND e.type = ANY (${[...ANSWER_TYPES]}::text[])) AS answers
      ) pause ON idle.seq IS NOT NULL
      WHERE s.id = ${sessionId} AND s.workspace_id = ${workspaceId}`;
    const row = rows[0];
    if (!row) return null;
    const pending = pendingToolUses((row.asked ?? []).map(fromStored), (row.answers ?? []).map(fromStored)).filter(awaitsAnswer);
    return { archived: row.archived, status: row.status, lastSeq: row.last_seq, pending: new Map(pending.map((use) => [use.event.id, use.event.type])) };
  }

  /**
   * Appends user events atomically: `decide` sees the session's state and may throw to reject the whole
   * request, and nothing is stored unless every event is accepted. Two round trips and no lock held in
   * between: the state is read, then the append (with the status change decided) is made only if the
   * session is still as read, checked under its row lock (SessionChangedError: read and decide again).
   * So a turn finishing concurrently either sees these events or leaves the session idle for this
   * request to wake. Returns null when the session does not exist.
   */
  async appendChecked({ sessionId, workspaceId }: SessionRef, events: NewEvent[], decide: (state: SessionForSend) => SendDecision): Promise<SendOutcome | null> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.sendState(sessionId, workspaceId);
      if (!state) return null;
      const decision = decide(state);
      const transition = decision.wake ? 'wake' : decision.interrupt ? 'interrupt' : undefined;
      try {
        const appended = await this.store.appendWithOutcome(this.prisma, sessionId, events, {
          workspaceId,
          // What the pending tool uses are derived from: a new pause, or answers.
          expect: { status: state.status, archived: state.archived, quietAfter: { seq: state.lastSeq, types: ['session.status_idle', ...ANSWER_TYPES] } },
          transition: transition && { name: transition },
        });
        await this.store.publish(appended.fresh);
        return { ...decision, rows: appended.rows };
      } catch (error) {
        if (error instanceof SessionNotFoundError) return null;
        // Each retry follows another writer's change of the session; a few in a row mean it is very busy.
        if (error instanceof SessionChangedError && attempt < MAX_SEND_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** The event's sequence number in this session, or undefined when it is not one of its events. */
  async seqOf(sessionId: string, eventId: string): Promise<number | undefined> {
    const row = await this.prisma.event.findFirst({ where: { id: eventId, sessionId }, select: { seq: true } });
    return row?.seq;
  }

  listSlice(sessionId: string, types: string[] | undefined, slice: SliceRequest<number>): Promise<EventRow[]> {
    return this.prisma.event.findMany({
      where: {
        sessionId,
        ...(types ? { type: { in: types } } : {}),
        ...keysetWhere('seq', slice),
      },
      orderBy: { seq: slice.order },
      take: slice.take,
    });
  }
}
