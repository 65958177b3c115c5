import { Inject, Injectable } from '@nestjs/common';
import type { AgentDefinition } from '@stratus/contracts';
import { newId, queryRows, type Agent as AgentRow, type AgentVersion, type Pool, type Prisma, type PrismaClient } from '@stratus/db';
import { PG_POOL, PRISMA } from '@stratus/nest-common';
import { keysetWhere, type SliceRequest } from '../common/pagination';

export interface AgentWithVersion {
  agent: AgentRow;
  version: AgentVersion;
}

function versionData(agentId: string, version: number, def: AgentDefinition, at: Date): Prisma.AgentVersionCreateManyInput {
  return {
    agentId,
    version,
    name: def.name,
    description: def.description,
    model: def.model,
    system: def.system,
    tools: def.tools as Prisma.InputJsonValue,
    mcpServers: def.mcp_servers,
    metadata: def.metadata,
    createdAt: at,
  };
}

/**
 * An agent and its first version, inserted in one statement (one round trip, atomic without a
 * transaction around it): POST /agents is a hot write.
 */
const INSERT_AGENT = `WITH agent AS (
  INSERT INTO agents (id, workspace_id, current_version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3)
  RETURNING workspace_id, archived_at, created_at, updated_at
), version AS (
  INSERT INTO agent_versions (agent_id, version, name, description, model, system, tools, mcp_servers, metadata, created_at)
  VALUES ($1, 1, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $3)
  RETURNING name, description, model, system, tools, mcp_servers, metadata, created_at AS version_created_at
)
SELECT * FROM agent, version`;

interface InsertedAgentRow {
  workspace_id: string;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
  name: string;
  description: string;
  model: string;
  system: string;
  tools: Prisma.JsonValue;
  mcp_servers: Prisma.JsonValue;
  metadata: Prisma.JsonValue;
  version_created_at: Date;
}

/** Agents and their versions in PostgreSQL: creating one in SQL through the pool, the rest through Prisma. */
@Injectable()
export class AgentsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async create(workspaceId: string, def: AgentDefinition): Promise<AgentWithVersion> {
    const id = newId('agent');
    const now = new Date();
    // JSON goes as text: node-postgres would send a JavaScript array as a PostgreSQL array.
    const rows = await queryRows<InsertedAgentRow>(this.pool, INSERT_AGENT, [
      id,
      workspaceId,
      now,
      def.name,
      def.description,
      def.model,
      def.system,
      JSON.stringify(def.tools),
      JSON.stringify(def.mcp_servers),
      JSON.stringify(def.metadata),
    ]);
    const row = rows[0]!;
    return {
      agent: { id, workspaceId: row.workspace_id, currentVersion: 1, archivedAt: row.archived_at, createdAt: row.created_at, updatedAt: row.updated_at },
      version: {
        agentId: id,
        version: 1,
        name: row.name,
        description: row.description,
        model: row.model,
        system: row.system,
        tools: row.tools,
        mcpServers: row.mcp_servers,
        metadata: row.metadata,
        createdAt: row.version_created_at,
      },
    };
  }

  /** The agent with its current version, or a given one; null when either does not exist. */
  async find(workspaceId: string, id: string, version?: number): Promise<AgentWithVersion | null> {
    const agent = await this.prisma.agent.findFirst({ where: { id, workspaceId } });
    if (!agent) return null;
    const row = await this.prisma.agentVersion.findUnique({ where: { agentId_version: { agentId: id, version: version ?? agent.currentVersion } } });
    return row ? { agent, version: row } : null;
  }

  /**
   * Stores a new version if the agent is still at `expectedVersion`; returns null when another
   * update got there first (the caller answers 409).
   */
  async addVersion(agentId: string, expectedVersion: number, def: AgentDefinition): Promise<AgentWithVersion | null> {
    const now = new Date();
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.agent.updateMany({
        where: { id: agentId, currentVersion: expectedVersion, archivedAt: null },
        data: { currentVersion: expectedVersion + 1, updatedAt: now },
      });
      if (count === 0) return null;
      const version = await tx.agentVersion.create({ data: versionData(agentId, expectedVersion + 1, def, now) });
      const agent = await tx.agent.findUniqueOrThrow({ where: { id: agentId } });
      return { agent, version };
    });
  }

  async archive(agentId: string): Promise<void> {
    const now = new Date();
    await this.prisma.agent.updateMany({ where: { id: agentId, archivedAt: null }, data: { archivedAt: now, updatedAt: now } });
  }

  async exists(workspaceId: string, id: string): Promise<boolean> {
    return (await this.prisma.agent.count({ where: { id, workspaceId } })) > 0;
  }

  async listSlice(
    workspaceId: string,
    filter: { includeArchived: boolean; createdAt?: { gte?: Date; lte?: Date } },
    slice: SliceRequest<string>,
  ): Promise<AgentWithVersion[]> {
    const agents = await this.prisma.agent.findMany({
      where: {
        workspaceId,
        ...(filter.includeArchived ? {} : { archivedAt: null }),
        ...(filter.createdAt ? { createdAt: filter.createdAt } : {}),
        ...keysetWhere('id', slice),
      },
      orderBy: { id: slice.order },
      take: slice.take,
    });
    if (agents.length === 0) return [];
    const versions = await this.prisma.agentVersion.findMany({
      where: { OR: agents.map((a) => ({ agentId: a.id, version: a.currentVersion })) },
    });
    const byAgent = new Map(versions.map((v) => [v.agentId, v]));
    return agents.map((agent) => ({ agent, version: byAgent.get(agent.id)! }));
  }

  listVersionsSlice(agentId: string, slice: SliceRequest<number>): Promise<AgentVersion[]> {
    return this.prisma.agentVersion.findMany({
      where: { agentId, ...keysetWhere('version', slice) },
      orderBy: { version: slice.order },
      take: slice.take,
    });
  }
}
