import { BUILTIN_TOOL_NAMES, type AgentTool, type BuiltinToolName, type PermissionPolicy } from '@stratus/contracts';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import type { McpToolSpec } from '../mcp/mcp-connections.service';

/** Arguments of each built-in tool, as the model sends them. */
export const BUILTIN_TOOL_INPUTS = {
  Bash: z.object({
    command: z.string().min(1),
    /** Milliseconds; the runner caps it at 600 000. */
    timeout: z.number().int().positive().max(600_000).optional(),
    description: z.string().optional(),
  }),
  Read: z.object({ file_path: z.string().min(1), offset: z.number().int().min(1).optional(), limit: z.number().int().min(1).max(100_000).optional() }),
  Write: z.object({ file_path: z.string().min(1), content: z.string() }),
  Edit: z.object({ file_path: z.string().min(1), old_string: z.string().min(1), new_string: z.string(), replace_all: z.boolean().optional() }),
  Glob: z.object({ pattern: z.string().min(1), path: z.string().optional() }),
  Grep: z.object({ pattern: z.string().min(1), path: z.string().optional(), glob: z.string().optional(), case_insensitive: z.boolean().optional() }),
  WebFetch: z.object({ url: z.string().min(1) }),
} satisfies Record<BuiltinToolName, z.ZodType>;

export type BuiltinToolInput<N extends BuiltinToolName> = z.infer<(typeof BUILTIN_TOOL_INPUTS)[N]>;

const DESCRIPTIONS: Record<BuiltinToolName, string> = {
  Bash: 'Runs a bash command in the session\'s sandbox and returns its output. The working directory persists between calls; the workspace is the current directory at first. `timeout` is in milliseconds (default 120000, at most 600000). Long output is cut in the middle: its beginning and end are kept, with a note saying how much there was.',
  Read: 'Reads a text file of the workspace and returns its lines, numbered. `offset` is the 1-based first line, `limit` how many lines (default 2000). A page also stops at a size cap and lines longer than 2000 characters are cut; a note at the end gives the offset to read on from.',
  Write: 'Creates or replaces a file of the workspace with `content`.',
  Edit: 'Replaces `old_string` with `new_string` in a workspace file. `old_string` must occur exactly once unless `replace_all` is true.',
  Glob: 'Lists workspace files matching a glob pattern such as "src/**/*.ts".',
  Grep: 'Searches workspace files for a JavaScript regular expression; `glob` narrows the files searched.',
  WebFetch: 'Fetches a URL (subject to the environment\'s network policy) and returns the response body.',
};

/** A tool as offered to the model and judged when the model calls it. */
export type ToolSpec =
  | { kind: 'builtin'; name: BuiltinToolName; permission: PermissionPolicy }
  | { kind: 'custom'; name: string; description: string; inputSchema: Record<string, unknown> }
  | McpToolSpec;

/**
 * The tools an agent definition offers by itself: the built-in toolset's enabled tools (all of them
 * when the list is empty) with its permission policy, and the custom tools. The tools of MCP
 * toolsets are known only once their servers answer (McpConnectionsService, at turn start).
 */
export function agentToolSpecs(tools: readonly AgentTool[]): ToolSpec[] {
  const specs: ToolSpec[] = [];
  for (const tool of tools) {
    switch (tool.type) {
      case 'agent_toolset_20260401': {
        const enabled = tool.enabled_tools.length > 0 ? BUILTIN_TOOL_NAMES.filter((name) => tool.enabled_tools.includes(name)) : BUILTIN_TOOL_NAMES;
        for (const name of enabled) specs.push({ kind: 'builtin', name, permission: tool.permission_policy });
        break;
      }
      case 'custom':
        specs.push({ kind: 'custom', name: tool.name, description: tool.description, inputSchema: tool.input_schema });
        break;
      case 'mcp_toolset':
        // Listed from the server at turn start.
        break;
    }
  }
  return specs;
}

/** A built-in tool's parameters as JSON Schema (draft 7, which every OpenAI-compatible server reads). */
function builtinParameters(name: BuiltinToolName): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(BUILTIN_TOOL_INPUTS[name], { io: 'input', target: 'draft-7' });
  return schema;
}

/** The tools in Chat Completions form. */
export function chatTools(specs: readonly ToolSpec[]): ChatCompletionTool[] {
  return specs.map((spec) => ({
    type: 'function',
    function:
      spec.kind === 'builtin'
        ? { name: spec.name, description: DESCRIPTIONS[spec.name], parameters: builtinParameters(spec.name) }
        : { name: spec.name, description: spec.description, parameters: spec.inputSchema },
  }));
}

/** Whether a call of the named tool runs in the session's sandbox (a built-in tool the agent offers). */
export function runsInSandbox(specs: readonly ToolSpec[], name: string): boolean {
  return specs.some((spec) => spec.kind === 'builtin' && spec.name === name);
}
