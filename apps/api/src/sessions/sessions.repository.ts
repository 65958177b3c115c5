import { Inject, Injectable } from '@nestjs/common';
import { newId, type Event as EventRow, type Prisma, type PrismaClient, type SessionStatus } from '@stratus/db';
import type { SessionEvent } from '@stratus/contracts';
import {
  archiveSession,
  cancelSession,
  createdStatus,
  deleteSession,
  webhookDeliveriesOf,
  writeWebhookDeliveries,
  type EventStore,
  type NewEvent,
  type SessionRef,
} from '@stratus/events';
import { EVENT_STORE, PRISMA } from '@stratus/nest-common';
import { keysetWhere, type SliceRequest } from '../common/pagination';
import type { SessionWithAgent } from './session.mapper';

const WITH_AGENT = { agentVersionRef: { include: { agent: true } } } as const;

export interface NewSession {
  workspaceId: string;
  agentId: string;
  agentVersion: number;
  environmentId: string;
  title: string;
  metadata: Record<string, string>;
  environmentVariables: Uint8Array<ArrayBuffer> | null;
  vaultIds: string[];
  initialEvents: NewEvent[];
}

export interface SessionFilter {
  includeArchived: boolean;
  agentId?: string;
  statuses?: SessionStatus[];
  createdAt?: { gte?: Date; lte?: Date };
}

@Injectable()
export class SessionsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  /**
   * Creates the session and its initial events in one transaction. The environment is share-locked
   * so that it cannot be deleted concurrently; returns null when it is gone or archived by then.
   * A session created with initial events starts `processing`: its first turn is to be enqueued.
   */
  async create(input: NewSession): Promise<{ session: SessionWithAgent; events: EventRow[] } | null> {
    const id = newId('session');
    const now = new Date();
    const result = await this.prisma.$transaction(async (tx) => {
      const env = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM environments WHERE id = ${input.environmentId} AND workspace_id = ${input.workspaceId} AND archived_at IS NULL FOR SHARE`;
      if (env.length === 0) return null;
      await tx.session.create({
        data: {
          id,
          workspaceId: input.workspaceId,
          agentId: input.agentId,
          agentVersion: input.agentVersion,
          environmentId: input.environmentId,
          title: input.title,
          metadata: input.metadata,
          environmentVariables: input.environmentVariables,
          vaultIds: input.vaultIds,
          status: createdStatus(input.initialEvents.length > 0),
          createdAt: now,
          updatedAt: now,
        },
      });
      const events = input.initialEvents.length ? await this.events.appendInTransaction(tx, id, input.initialEvents) : [];
      const session = await tx.session.findUniqueOrThrow({ where: { id }, include: WITH_AGENT });
      return { session, events };
    });
    if (result) await this.events.publish(result.events);
    return result;
  }

  find(workspaceId: string, id: string): Promise<SessionWithAgent | null> {
    return this.prisma.session.findFirst({ where: { id, workspaceId }, include: WITH_AGENT });
  }

  async exists(workspaceId: string, id: string): Promise<boolean> {
    return (await this.prisma.session.count({ where: { id, workspaceId } })) > 0;
  }

  update(id: string, data: { title?: string; metadata?: Record<string, string> }): Promise<SessionWithAgent> {
    return this.prisma.session.update({ where: { id }, data: { ...data, updatedAt: new Date() }, include: WITH_AGENT });
  }

  /** Archives an idle session; false when it is busy (processing or canceling), archived already, or not the workspace's. */
  archiveIfIdle(session: SessionRef): Promise<boolean> {
    return archiveSession(this.prisma, session);
  }

  /** processing → canceling. Returns the status the session has afterwards, null when the workspace has no such session. */
  requestCancel(session: SessionRef): Promise<SessionStatus | null> {
    return cancelSession(this.prisma, session);
  }

  /**
   * Deletes the session and, by cascade, its events, and writes the webhook deliveries of its
   * session.deleted event in the same transaction. Returns the last sequence number it had.
   */
  async delete(session: SessionRef, deleted: SessionEvent): Promise<number | null> {
    return this.prisma.$transaction(async (tx) => {
      const lastSeq = await deleteSession(tx, session);
      if (lastSeq === null) return null;
      const webhooks = await tx.webhook.findMany({ where: { workspaceId: session.workspaceId, enabled: true }, select: { id: true, eventTypes: true } });
      const deliveries = webhookDeliveriesOf([deleted], webhooks.map((w) => ({ id: w.id, event_types: w.eventTypes })));
      await writeWebhookDeliveries(tx, session.workspaceId, session.sessionId, deliveries);
      return lastSeq;
    });
  }

  listSlice(workspaceId: string, filter: SessionFilter, slice: SliceRequest<string>): Promise<SessionWithAgent[]> {
    const where: Prisma.SessionWhereInput = {
      workspaceId,
      ...(filter.includeArchived ? {} : { archivedAt: null }),
      ...(filter.agentId ? { agentId: filter.agentId } : {}),
      ...(filter.statuses ? { status: { in: filter.statuses } } : {}),
      ...(filter.createdAt ? { createdAt: filter.createdAt } : {}),
      ...keysetWhere('id', slice),
    };
    return this.prisma.session.findMany({ where, orderBy: { id: slice.order }, take: slice.take, include: WITH_AGENT });
  }
}
