import { Inject, Injectable } from '@nestjs/common';
import type { SessionEvent } from '@stratus/contracts';
import type { PrismaClient } from '@stratus/db';
import { toPublicEvent, type EventStore } from '@stratus/events';
import { EVENT_STORE, PRISMA } from '@stratus/nest-common';

/** A stored event with its place in the session's log. */
export interface HistoryEvent {
  seq: number;
  event: SessionEvent;
}

/** The event log in PostgreSQL, the source of truth: history replay, gap repair, reconciliation. */
@Injectable()
export class HistoryRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** Whether the session exists in this workspace (another workspace's session does not). */
  async sessionExists(workspaceId: string, sessionId: string): Promise<boolean> {
    return (await this.prisma.session.findFirst({ where: { id: sessionId, workspaceId }, select: { id: true } })) !== null;
  }

  /** The sequence number of the event in this session, or undefined when it is not one of its events. */
  async seqOf(sessionId: string, eventId: string): Promise<number | undefined> {
    const row = await this.prisma.event.findFirst({ where: { id: eventId, sessionId }, select: { seq: true } });
    return row?.seq;
  }

  /** Up to `limit` events after a sequence number, in order. */
  async readAfter(sessionId: string, afterSeq: number, limit: number): Promise<HistoryEvent[]> {
    const rows = await this.store.readAfter(sessionId, afterSeq, limit);
    return rows.map((row) => ({ seq: row.seq, event: toPublicEvent(row) }));
  }

  /** The last sequence number of each session that still exists; deleted sessions are absent. */
  async lastSeqs(sessionIds: string[]): Promise<Map<string, number>> {
    const rows = await this.prisma.session.findMany({ where: { id: { in: sessionIds } }, select: { id: true, lastSeq: true } });
    return new Map(rows.map((row) => [row.id, row.lastSeq]));
  }
}
