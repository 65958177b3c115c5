import { Inject, Injectable } from '@nestjs/common';
import { newId, queryRows, type Event as EventRow, type Pool, type PrismaClient, type SessionStatus } from '@stratus/db';
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
import { EVENT_STORE, PG_POOL, PRISMA } from '@stratus/nest-common';
import { keysetSql, type SliceRequest } from '../common/pagination';
import { SELECT_SESSION_WITH_AGENT, toSessionWithAgent, type SessionWithAgentRow } from './session-rows';
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

/** Sessions in PostgreSQL: the point read and the list pages in SQL through the pool, the rest through Prisma. */
@Injectable()
export class SessionsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PG_POOL) private readonly pool: Pool,
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

  async find(workspaceId: string, id: string): Promise<SessionWithAgent | null> {
    const rows = await queryRows<SessionWithAgentRow>(this.pool, `${SELECT_SESSION_WITH_AGENT} WHERE s.id = $1 AND s.workspace_id = $2`, [id, workspaceId]);
    return rows[0] ? toSessionWithAgent(rows[0]) : null;
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

  async listSlice(workspaceId: string, filter: SessionFilter, slice: SliceRequest<string>): Promise<SessionWithAgent[]> {
    const params: unknown[] = [workspaceId];
    const where = ['s.workspace_id = $1'];
    if (!filter.includeArchived) where.push('s.archived_at IS NULL');
    if (filter.agentId) where.push(`s.agent_id = $${params.push(filter.agentId)}`);
    if (filter.statuses) where.push(`s.status = ANY($${params.push(filter.statuses)}::session_status[])`);
    if (filter.createdAt?.gte) where.push(`s.created_at >= $${params.push(filter.createdAt.gte)}`);
    if (filter.createdAt?.lte) where.push(`s.created_at <= $${params.push(filter.createdAt.lte)}`);
    const keyset = keysetSql('s.id', slice, params);
    if (keyset.condition) where.push(keyset.condition);
    const rows = await queryRows<SessionWithAgentRow>(this.pool, `${SELECT_SESSION_WITH_AGENT} WHERE ${where.join(' AND ')} ${keyset.orderLimit}`, params);
    return rows.map(toSessionWithAgent);
  }
}
