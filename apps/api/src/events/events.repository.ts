import { Inject, Injectable } from '@nestjs/common';
import type { EventType } from '@stratus/contracts';
import type { Event as EventRow, Prisma, PrismaClient } from '@stratus/db';
import type { EventStore, NewEvent } from '@stratus/events';
import { EVENT_STORE, PRISMA } from '@stratus/nest-common';
import type { SliceRequest } from '../common/pagination';

/** What a check of a send request sees, read under the session's row lock. */
export interface SessionForSend {
  archived: boolean;
  /** Tool uses awaiting an answer: event id → the type of event that asked. */
  pending: Map<string, EventType>;
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
   * Appends user events atomically: the session row is locked, `check` sees its state and may
   * throw to reject the whole request, and nothing is stored unless every event is accepted.
   * Returns null when the session does not exist.
   */
  async appendChecked(sessionId: string, events: NewEvent[], check: (state: SessionForSend) => void): Promise<EventRow[] | null> {
    const rows = await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ archived_at: Date | null }[]>`SELECT archived_at FROM sessions WHERE id = ${sessionId} FOR UPDATE`;
      if (locked.length === 0) return null;
      check({ archived: locked[0]!.archived_at !== null, pending: await this.pendingToolUses(tx, sessionId) });
      return this.store.appendInTransaction(tx, sessionId, events);
    });
    if (rows) await this.store.publish(rows);
    return rows;
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
        ...(slice.beyond !== undefined ? { seq: slice.order === 'asc' ? { gt: slice.beyond } : { lt: slice.beyond } } : {}),
      },
      orderBy: { seq: slice.order },
      take: slice.take,
    });
  }
}
