import { z } from 'zod';
import { Metadata, Timestamp } from './common';

export const BUILTIN_TOOL_NAMES = ['Bash', 'Read', 'Write', 'Edit', 'Glob', 'Grep', 'WebFetch'] as const;
export const BuiltinToolName = z.enum(BUILTIN_TOOL_NAMES);
export type BuiltinToolName = z.infer<typeof BuiltinToolName>;

export const PermissionPolicy = z.enum(['always_allow', 'always_ask']);
export type PermissionPolicy = z.infer<typeof PermissionPolicy>;

export const AGENT_TOOLSET_TYPE = 'agent_toolset_20260401';

/** Built-in tools executed in the session's sandbox; omitted or empty enabled_tools = all of them. */
export const AgentToolset = z
  .strictObject({
    type: z.literal(AGENT_TOOLSET_TYPE),
    enabled_tools: z.array(BuiltinToolName).max(BUILTIN_TOOL_NAMES.length).default([]),
    permission_policy: PermissionPolicy.default('always_allow'),
  })
  .meta({ id: 'AgentToolset' });

const ToolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, { message: 'must be 1-64 letters, digits, "_" or "-"' });

/** A tool executed by the client: the agent emits agent.custom_tool_use and waits. */
export const CustomTool = z
  .strictObject({
    type: z.literal('custom'),
    name: ToolName,
    description: z.string().max(4096).default(''),
    input_schema: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
  })
  .meta({ id: 'CustomTool' });

/** One tool of an MCP toolset set apart from the toolset's defaults (by the server's name for it). */
export const McpToolConfig = z
  .strictObject({ name: z.string().min(1).max(256), enabled: z.boolean().default(true), permission_policy: PermissionPolicy.optional() })
  .meta({ id: 'McpToolConfig' });
export type McpToolConfig = z.infer<typeof McpToolConfig>;

/** The tools of a remote MCP server named in mcp_servers, all of them unless a config disables one. */
export const McpToolset = z
  .strictObject({
    type: z.literal('mcp_toolset'),
    mcp_server_name: z.string().min(1).max(256),
    permission_policy: PermissionPolicy.default('always_allow'),
    configs: z.array(McpToolConfig).max(256).optional(),
  })
  .meta({ id: 'McpToolset' });
export type McpToolset = z.infer<typeof McpToolset>;

export const AgentTool = z.discriminatedUnion('type', [AgentToolset, CustomTool, McpToolset]).meta({ id: 'AgentTool' });
export type AgentTool = z.infer<typeof AgentTool>;

export const McpServer = z
  .strictObject({
    type: z.literal('url'),
    name: z.string().min(1).max(256),
    url: z.url({ protocol: /^https?$/ }).max(2048),
  })
  .meta({ id: 'McpServer' });
export type McpServer = z.infer<typeof McpServer>;

/** A model id, or `{id}` as some SDKs send it; always stored and returned as the id string. */
const ModelRef = z.union([z.string().min(1).max(256), z.strictObject({ id: z.string().min(1).max(256) }).transform((m) => m.id)]);

const agentFields = {
  name: z.string().min(1).max(256),
  description: z.string().max(2048),
  model: ModelRef,
  system: z.string().max(100_000),
  tools: z.array(AgentTool).max(128),
  mcp_servers: z.array(McpServer).max(20),
  metadata: Metadata,
};

/** Cross-field rules of an agent definition: unique names, MCP toolsets naming a declared server. */
function checkAgentDefinition(
  value: { tools?: AgentTool[]; mcp_servers?: McpServer[] },
  ctx: z.RefinementCtx,
): void {
  const servers = new Set<string>();
  value.mcp_servers?.forEach((server, i) => {
    if (servers.has(server.name)) ctx.addIssue({ code: 'custom', message: `duplicate MCP server name "${server.name}"`, path: ['mcp_servers', i, 'name'] });
    servers.add(server.name);
  });
  const toolNames = new Set<string>();
  let toolsets = 0;
  value.tools?.forEach((tool, i) => {
    if (tool.type === 'agent_toolset_20260401' && ++toolsets > 1) {
      ctx.addIssue({ code: 'custom', message: 'at most one agent_toolset_20260401 entry', path: ['tools', i] });
    }
    if (tool.type === 'custom') {
      if (toolNames.has(tool.name)) ctx.addIssue({ code: 'custom', message: `duplicate tool name "${tool.name}"`, path: ['tools', i, 'name'] });
      toolNames.add(tool.name);
    }
    if (tool.type === 'mcp_toolset' && value.mcp_servers !== undefined && !servers.has(tool.mcp_server_name)) {
      ctx.addIssue({ code: 'custom', message: `no mcp_servers entry named "${tool.mcp_server_name}"`, path: ['tools', i, 'mcp_server_name'] });
    }
  });
}

export const CreateAgentRequest = z
  .strictObject({
    name: agentFields.name,
    model: agentFields.model,
    description: agentFields.description.default(''),
    system: agentFields.system.default(''),
    tools: agentFields.tools.default([]),
    mcp_servers: agentFields.mcp_servers.default([]),
    metadata: agentFields.metadata.default({}),
  })
  .superRefine(checkAgentDefinition)
  .meta({ id: 'CreateAgentRequest' });
export type CreateAgentRequest = z.infer<typeof CreateAgentRequest>;

export const UpdateAgentRequest = z
  .strictObject({
    version: z.int().min(1).optional().meta({ description: 'Optimistic concurrency: must equal the current version' }),
    name: agentFields.name.optional(),
    model: agentFields.model.optional(),
    description: agentFields.description.optional(),
    system: agentFields.system.optional(),
    tools: agentFields.tools.optional(),
    mcp_servers: agentFields.mcp_servers.optional(),
    metadata: agentFields.metadata.optional(),
  })
  .superRefine(checkAgentDefinition)
  .meta({ id: 'UpdateAgentRequest' });
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

/** The definition fields that make up one immutable version of an agent. */
export interface AgentDefinition {
  name: string;
  description: string;
  model: string;
  system: string;
  tools: AgentTool[];
  mcp_servers: McpServer[];
  metadata: Metadata;
}

export const Agent = z
  .object({
    id: z.string(),
    type: z.literal('agent'),
    name: z.string(),
    description: z.string(),
    model: z.string(),
    system: z.string(),
    tools: z.array(AgentTool),
    mcp_servers: z.array(McpServer),
    metadata: Metadata,
    version: z.int(),
    archived_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Agent' });
export type Agent = z.infer<typeof Agent>;
