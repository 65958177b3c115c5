import type { Metadata, Session } from '@stratus/contracts';
import type { Agent as AgentRow, AgentVersion, Session as SessionRow } from '@stratus/db';
import { toAgent } from '../agents/agent.mapper';

/** A session as it is shown: every column but the sealed environment variables, with its agent version and agent. */
export type SessionWithAgent = Omit<SessionRow, 'environmentVariables'> & { agentVersionRef: AgentVersion & { agent: AgentRow } };

export function toSession(row: SessionWithAgent, now = new Date()): Session {
  const end = row.archivedAt ?? now;
  return {
    id: row.id,
    type: 'session',
    agent: toAgent(row.agentVersionRef.agent, row.agentVersionRef),
    agent_id: row.agentId,
    environment_id: row.environmentId,
    status: row.status,
    title: row.title,
    metadata: row.metadata as Metadata,
    vault_ids: row.vaultIds,
    usage: { input_tokens: row.inputTokens, output_tokens: row.outputTokens },
    stats: {
      turns: row.turns,
      active_seconds: Number(row.activeMs) / 1000,
      duration_seconds: Math.max(0, Math.round((end.getTime() - row.createdAt.getTime()) / 100) / 10),
    },
    archived_at: row.archivedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
