import { Inject, Injectable } from '@nestjs/common';
import { AgentTool, EnvironmentConfig, McpServer } from '@stratus/contracts';
import { Prisma, type Event as EventRow, type PrismaClient } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';
import { z } from 'zod';
import { TURN_LOG_TYPES } from './turn-log';

/** What a turn needs to know about its session besides the event log. */
export interface SessionContext {
  sessionId: string;
  workspaceId: string;
  environmentId: string;
  agent: { model: string; system: string; tools: AgentTool[]; mcpServers: McpServer[] };
  /** Vaults whose credentials the agent's MCP servers are reached with. */
  vaultIds: string[];
  /** Null when the environment no longer exists. */
  environment: EnvironmentConfig | null;
  /** The sealed environment variables (SecretBox), or null when there are none. */
  sealedVariables: Uint8Array | null;
  /** The worker whose live sandbox the session holds in the capacity ledger (SandboxCapacityService); null when it holds none, or when the load did not claim the session. */
  liveSlotWorker: string | null;
}

/** A session as a turn job finds it: its context and the part of its log the turn reads. */
export interface SessionSnapshot {
  context: SessionContext;
  log: EventRow[];
  /** The attempt that loaded it claimed the session (SessionContextRepository.load). */
  claimed: boolean;
}

const StoredTools = z.array(AgentTool);
const StoredMcpServers = z.array(McpServer);

/** An event as the log query returns it: the row in JSON, so timestamps arrive as strings. */
interface EventJson extends Omit<EventRow, 'createdAt' | 'processedAt'> {
  createdAt: string;
  processedAt: string | null;
}

/**
 * The session's events a turn reads, as one JSON array in sequence order:
 * - every event from the first start of the last turn that started (the open turn, if any), in full;
 * - before it, only the events readTurnLog builds the conversation and turn state from (closed turns'
 *   thinking, errors and tool confirmations are not read);
 * - and every event not yet processed (queued messages, tool answers), wherever it is.
 * The model is sent the whole conversation, so every closed turn's messages are still read.
 */
function logTail(sessionId: string): Prisma.Sql {
  return Prisma.sql`(
    SELECT coalesce(json_agg(json_build_object(
      'id', ev.id, 'sessionId', ev.session_id, 'workspaceId', ev.workspace_id, 'seq', ev.seq, 'type', ev.type, 'turnId', ev.turn_id,
      'dedupeKey', ev.dedupe_key, 'payload', ev.payload, 'createdAt', ev.created_at, 'processedAt', ev.processed_at) ORDER BY ev.seq), '[]'::json)
    FROM events ev
    WHERE ev.session_id = ${sessionId}
      AND (ev.type = ANY(${TURN_LOG_TYPES}::text[]) OR ev.processed_at IS NULL OR ev.seq >= coalesce((
        SELECT min(first.seq) FROM events first
        WHERE first.session_id = ${sessionId} AND first.type = 'session.status_running' AND first.turn_id = (
          SELECT last.turn_id FROM events last
          WHERE last.session_id = ${sessionId} AND last.type = 'session.status_running'
          ORDER BY last.seq DESC LIMIT 1)), 0))
  )`;
}

/**
 * A turn job attempt's claim of the session (`owner`, turn-owner.ts), as the WITH clause of the load: a
 * processing session without an owner becomes the attempt's; one it owns already stays so (atomic under
 * the row's lock). It returns the worker whose live sandbox slot the session holds, read FOR SHARE: that
 * reads the slot's latest version, not the statement's snapshot, so a reap that marked it evicting first
 * is seen, and one after finds the session processing (SandboxSlotsRepository.claimForReap).
 */
function claimClause(sessionId: string, owner: string | undefined): Prisma.Sql {
  if (owner === undefined) return Prisma.sql`WITH claimed AS (SELECT NULL::text AS live_slot_worker WHERE false)`;
  return Prisma.sql`WITH claimed AS (
    UPDATE sessions SET turn_job_id = ${owner}
    WHERE id = ${sessionId} AND status <> 'idle' AND (turn_job_id IS NULL OR turn_job_id = ${owner})
    RETURNING (SELECT sl.worker_id FROM sandbox_slots sl WHERE sl.session_id = sessions.id AND sl.state = 'live' FOR SHARE) AS live_slot_worker)`;
}

function eventRows(events: EventJson[]): EventRow[] {
  return events.map((event) => ({ ...event, createdAt: new Date(event.createdAt), processedAt: event.processedAt === null ? null : new Date(event.processedAt) }));
}

/** Reads what a turn job starts from, claiming the session as it does: the session with its agent version, environment and sandbox slot, and its log, in one query. */
@Injectable()
export class SessionContextRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * The session's context and log tail; null when the session is gone. Given the turn job attempt
   * `owner`, the statement claims the session for it too; not claimed, the attempt finds out why from
   * TurnsRepository.claimRefusal. The context and log are read as of the statement's start: what is
   * committed after that reaches the run through its commits' checks.
   */
  async load(sessionId: string, owner?: string): Promise<SessionSnapshot | null> {
    const rows = await this.prisma.$queryRaw<
      {
        claimed: boolean;
        workspace_id: string;
        environment_id: string;
        environment_variables: Uint8Array | null;
        vault_ids: string[] | null;
        model: string;
        system: string;
        tools: unknown;
        mcp_servers: unknown;
        config: unknown;
        live_slot_worker: string | null;
        events: EventJson[];
      }[]
    >`
      ${claimClause(sessionId, owner)}
      SELECT EXISTS (SELECT FROM claimed) AS claimed, (SELECT c.live_slot_worker FROM claimed c) AS live_slot_worker,
        s.workspace_id, s.environment_id, s.environment_variables, s.vault_ids, v.model, v.system, v.tools, v.mcp_servers, e.config,
        ${logTail(sessionId)} AS events
      FROM sessions s
      JOIN agent_versions v ON v.agent_id = s.agent_id AND v.version = s.agent_version
      LEFT JOIN environments e ON e.id = s.environment_id
      WHERE s.id = ${sessionId}`;
    const row = rows[0];
    if (!row) return null;
    const context: SessionContext = {
      sessionId,
      workspaceId: row.workspace_id,
      environmentId: row.environment_id,
      agent: { model: row.model, system: row.system, tools: StoredTools.parse(row.tools), mcpServers: StoredMcpServers.parse(row.mcp_servers) },
      vaultIds: row.vault_ids ?? [],
      environment: row.config === null ? null : EnvironmentConfig.parse(row.config),
      sealedVariables: row.environment_variables,
      liveSlotWorker: row.live_slot_worker,
    };
    return { context, log: eventRows(row.events), claimed: row.claimed };
  }

  /** The log tail alone (between turns of one job: the context does not change). */
  async loadLog(sessionId: string): Promise<EventRow[]> {
    const [row] = await this.prisma.$queryRaw<{ events: EventJson[] }[]>`SELECT ${logTail(sessionId)} AS events`;
    return eventRows(row?.events ?? []);
  }
}
