import { Inject, Injectable } from '@nestjs/common';
import type { Event as EventRow, Prisma, PrismaClient, SessionStatus } from '@stratus/db';
import { awaitsAnswer, payloadOf, pendingToolUses, type EventStore, type NewEvent, type SessionRef } from '@stratus/events';
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

export interface SendOutcome extends SendDecision {
  rows: EventRow[];
}

@Injectable()
export class EventsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** The tool uses of the session's last pause that still await an answer (the paused turn's event_ids). */
  private async awaitingAnswers(tx: Prisma.TransactionClient, sessionId: string): Promise<Map<string, string>> {
    const idle = await tx.event.findFirst({ where: { sessionId, type: 'session.status_idle' }, orderBy: { seq: 'desc' } });
    const stop = idle && payloadOf(idle, 'session.status_idle').stop_reason;
    if (!idle || stop?.type !== 'requires_action' || !stop.event_ids?.length) return new Map();
    const asked = await tx.event.findMany({ where: { sessionId, id: { in: stop.event_ids } }, orderBy: { seq: 'asc' } });
    const answers = await tx.event.findMany({ where: { sessionId, seq: { gt: idle.seq }, type: { in: ['user.custom_tool_result', 'user.tool_confirmation'] } } });
    const pending = pendingToolUses(asked, answers).filter(awaitsAnswer);
    return new Map(pending.map((use) => [use.event.id, use.event.type]));
  }

  /**
   * Appends user events atomically: the session row is locked, `decide` sees its state and may
   * throw to reject the whole request, and nothing is stored unless every event is accepted. The
   * status change it decides is made in the same transaction, so a turn finishing concurrently
   * either sees these events or leaves the session idle for this request to wake.
   * Returns null when the session does not exist.
   */
  async appendChecked({ sessionId, workspaceId }: SessionRef, events: NewEvent[], decide: (state: SessionForSend) => SendDecision): Promise<SendOutcome | null> {
    const outcome = await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ archived_at: Date | null; status: SessionStatus }[]>`
        SELECT archived_at, status FROM sessions WHERE id = ${sessionId} AND workspace_id = ${workspaceId} FOR UPDATE`;
      const session = locked[0];
      if (!session) return null;
      const decision = decide({ archived: session.archived_at !== null, status: session.status, pending: await this.awaitingAnswers(tx, sessionId) });
      const transition = decision.wake ? 'wake' : decision.interrupt ? 'interrupt' : undefined;
      const appended = await this.store.appendWithOutcome(tx, sessionId, events, { workspaceId, changes: () => (transition ? { transition } : undefined) });
      return { ...decision, rows: appended.rows, fresh: appended.fresh };
    });
    if (!outcome) return null;
    await this.store.publish(outcome.fresh);
    return { wake: outcome.wake, interrupt: outcome.interrupt, rows: outcome.rows };
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
