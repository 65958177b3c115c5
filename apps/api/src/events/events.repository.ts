import { Inject, Injectable } from '@nestjs/common';
import type { EventType } from '@stratus/contracts';
import type { Event as EventRow, Prisma, PrismaClient, SessionStatus } from '@stratus/db';
import type { EventStore, NewEvent } from '@stratus/events';
import { EVENT_STORE, PRISMA } from '@stratus/nest-common';
import { keysetWhere, type SliceRequest } from '../common/pagination';

/** What a check of a send request sees, read under the session's row lock. */
export interface SessionForSend {
  archived: boolean;
  status: SessionStatus;
  /** Tool uses awaiting an answer: event id → the type of event that asked. */
  pending: Map<string, EventType>;
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

  private async pendingToolUses(tx: Prisma.TransactionClient, sessionId: string): Promise<Map<string, EventType>> {
    const idle = await tx.event.findFirst({ where: { sessionId, type: 'session.status_idle' }, orderBy: { seq: 'desc' } });
    const stop = (idle?.payload as { stop_reason?: { type?: string; event_ids?: string[] } } | undefined)?.stop_reason;
    if (!idle || stop?.type !== 'requires_action' || !stop.event_ids?.length) return new Map();
    const asked = await tx.event.findMany({ where: { sessionId, id: { in: stop.event_ids } }, select: { id: true, type: true } });
    const answered = await tx.event.findMany({
      where: { sessionId, seq: { gt: idle.seq }, type: { in: ['user.custom_tool_result', 'user.tool_confirmation'] } },
      select: { payload: true },
    });
    const done = new Set(answered.map((e) => {
      const p = e.payload as { custom_tool_use_id?: string; tool_use_id?: string };
      return p.custom_tool_use_id ?? p.tool_use_id;
    }));
    return new Map(asked.filter((e) => !done.has(e.id)).map((e) => [e.id, e.type as EventType]));
  }

  /**
   * Appends user events atomically: the session row is locked, `decide` sees its state and may
   * throw to reject the whole request, and nothing is stored unless every event is accepted. The
   * status change it decides is made in the same transaction, so a turn finishing concurrently
   * either sees these events or leaves the session idle for this request to wake.
   * Returns null when the session does not exist.
   */
  async appendChecked(sessionId: string, events: NewEvent[], decide: (state: SessionForSend) => SendDecision): Promise<SendOutcome | null> {
    const outcome = await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ archived_at: Date | null; status: SessionStatus }[]>`
        SELECT archived_at, status FROM sessions WHERE id = ${sessionId} FOR UPDATE`;
      const session = locked[0];
      if (!session) return null;
      const decision = decide({ archived: session.archived_at !== null, status: session.status, pending: await this.pendingToolUses(tx, sessionId) });
      const status = decision.wake ? 'processing' : decision.interrupt ? 'canceling' : undefined;
      const appended = await this.store.appendWithOutcome(tx, sessionId, events, () => (status ? { status } : undefined));
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
