import type { SessionStatus } from '@stratus/db';
import type { SessionWithAgent } from './session.mapper';

/**
 * A session, its agent and the agent version it is bound to, read in one statement: the SQL of the
 * API's hottest reads (a session, a page of sessions). It selects what a session is shown with,
 * not the sealed environment variables.
 */
export const SELECT_SESSION_WITH_AGENT = `SELECT
  s.id, s.workspace_id, s.agent_id, s.agent_version, s.environment_id, s.status, s.title, s.metadata,
  s.input_tokens, s.output_tokens, s.turns, s.active_ms, s.last_seq, s.turn_job_id, s.vault_ids,
  s.archived_at, s.created_at, s.updated_at,
  a.workspace_id AS agent_workspace_id, a.current_version AS agent_current_version, a.archived_at AS agent_archived_at,
  a.created_at AS agent_created_at, a.updated_at AS agent_updated_at,
  v.name AS version_name, v.description AS version_description, v.model AS version_model, v.system AS version_system,
  v.tools AS version_tools, v.mcp_servers AS version_mcp_servers, v.metadata AS version_metadata, v.created_at AS version_created_at
FROM sessions s
JOIN agent_versions v ON v.agent_id = s.agent_id AND v.version = s.agent_version
JOIN agents a ON a.id = s.agent_id`;

/** A row of SELECT_SESSION_WITH_AGENT as node-postgres returns it. */
export interface SessionWithAgentRow {
  id: string;
  workspace_id: string;
  agent_id: string;
  agent_version: number;
  environment_id: string;
  status: SessionStatus;
  title: string;
  metadata: unknown;
  input_tokens: number;
  output_tokens: number;
  turns: number;
  /** bigint, which node-postgres returns as text. */
  active_ms: string;
  last_seq: number;
  turn_job_id: string | null;
  vault_ids: string[];
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
  agent_workspace_id: string;
  agent_current_version: number;
  agent_archived_at: Date | null;
  agent_created_at: Date;
  agent_updated_at: Date;
  version_name: string;
  version_description: string;
  version_model: string;
  version_system: string;
  version_tools: unknown;
  version_mcp_servers: unknown;
  version_metadata: unknown;
  version_created_at: Date;
}

/** The row in the shape Prisma gives a session read with its agent version and agent. */
export function toSessionWithAgent(row: SessionWithAgentRow): SessionWithAgent {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    agentId: row.agent_id,
    agentVersion: row.agent_version,
    environmentId: row.environment_id,
    status: row.status,
    title: row.title,
    metadata: row.metadata as SessionWithAgent['metadata'],
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    turns: row.turns,
    activeMs: BigInt(row.active_ms),
    lastSeq: row.last_seq,
    turnJobId: row.turn_job_id,
    vaultIds: row.vault_ids,
    archivedAt: row.archived_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    agentVersionRef: {
      agentId: row.agent_id,
      version: row.agent_version,
      name: row.version_name,
      description: row.version_description,
      model: row.version_model,
      system: row.version_system,
      tools: row.version_tools as SessionWithAgent['agentVersionRef']['tools'],
      mcpServers: row.version_mcp_servers as SessionWithAgent['agentVersionRef']['mcpServers'],
      metadata: row.version_metadata as SessionWithAgent['agentVersionRef']['metadata'],
      createdAt: row.version_created_at,
      agent: {
        id: row.agent_id,
        workspaceId: row.agent_workspace_id,
        currentVersion: row.agent_current_version,
        archivedAt: row.agent_archived_at,
        createdAt: row.agent_created_at,
        updatedAt: row.agent_updated_at,
      },
    },
  };
}
