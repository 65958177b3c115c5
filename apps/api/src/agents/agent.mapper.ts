import type { Agent, AgentDefinition, AgentTool, McpServer, Metadata } from '@stratus/contracts';
import type { Agent as AgentRow, AgentVersion } from '@stratus/db';

/** The definition stored in one version row. */
export function definitionOf(version: AgentVersion): AgentDefinition {
  return {
    name: version.name,
    description: version.description,
    model: version.model,
    system: version.system,
    tools: version.tools as AgentTool[],
    mcp_servers: version.mcpServers as McpServer[],
    metadata: version.metadata as Metadata,
  };
}

/** An agent as the API returns it: the row's identity and the fields of one version. */
export function toAgent(agent: AgentRow, version: AgentVersion): Agent {
  return {
    id: agent.id,
    type: 'agent',
    ...definitionOf(version),
    version: version.version,
    archived_at: agent.archivedAt?.toISOString() ?? null,
    created_at: agent.createdAt.toISOString(),
    // A past version was last updated when it was created; the current one when the agent was.
    updated_at: (version.version === agent.currentVersion ? agent.updatedAt : version.createdAt).toISOString(),
  };
}
