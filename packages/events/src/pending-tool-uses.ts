import type { EventPayload } from '@stratus/contracts';
import { payloadOf, type LoggedEvent } from './typed-events';

/** What an agent.tool_use, agent.mcp_tool_use or agent.custom_tool_use asks for. */
export interface ToolUse {
  custom: boolean;
  /** The MCP server of an agent.mcp_tool_use (whose `name` is the server's name for the tool). */
  mcpServer?: string;
  name: string;
  input: unknown;
  /** How the built-in or MCP tool was allowed to run (undefined for custom tools). */
  permission?: 'allow' | 'ask';
}

/** A tool use that has no result yet. */
export interface PendingToolUse<E extends LoggedEvent = LoggedEvent> extends ToolUse {
  /** The tool use event. */
  event: E;
  /** The user.tool_confirmation or user.custom_tool_result that answers it, once sent. */
  answer?: E;
}

/** Reads a tool use event; undefined for an event of any other type. */
export function toolUseOf(event: LoggedEvent): ToolUse | undefined {
  switch (event.type) {
    case 'agent.tool_use': {
      const { name, input, evaluated_permission: permission } = payloadOf(event, 'agent.tool_use');
      return { custom: false, name, input, permission };
    }
    case 'agent.mcp_tool_use': {
      const { name, input, evaluated_permission: permission, mcp_server_name: mcpServer } = payloadOf(event, 'agent.mcp_tool_use');
      return { custom: false, mcpServer, name, input, permission };
    }
    case 'agent.custom_tool_use': {
      const { name, input } = payloadOf(event, 'agent.custom_tool_use');
      return { custom: true, name, input };
    }
    default:
      return undefined;
  }
}

/** Whether the tool use cannot go on before the user answers it (a custom tool, or a tool that asks first), and has no answer yet. */
export function awaitsAnswer(use: PendingToolUse): boolean {
  return (use.custom || use.permission === 'ask') && use.answer === undefined;
}

/** The user's confirmation of a tool use that asked for one, once it came. */
export function confirmationOf(use: PendingToolUse): EventPayload<'user.tool_confirmation'> | undefined {
  return use.answer?.type === 'user.tool_confirmation' ? payloadOf(use.answer, 'user.tool_confirmation') : undefined;
}

/**
 * The tool uses among `uses` that `log` has no result for, in the order given, each with the answer
 * `log` holds for it. The one derivation of "pending": the worker reads it from the log to know what
 * to run, the API from a session's last pause to check the answers it is sent. `log` need only hold
 * the events after the tool uses (results and answers never come before what they answer).
 */
export function pendingToolUses<E extends LoggedEvent>(uses: readonly E[], log: readonly E[]): PendingToolUse<E>[] {
  const results = new Set<string>();
  const answers = new Map<string, E>();
  for (const event of log) {
    switch (event.type) {
      case 'agent.tool_result':
        results.add(payloadOf(event, 'agent.tool_result').tool_use_id);
        break;
      case 'agent.mcp_tool_result':
        results.add(payloadOf(event, 'agent.mcp_tool_result').mcp_tool_use_id);
        break;
      case 'user.custom_tool_result': {
        // A custom tool's answer is its result.
        const id = payloadOf(event, 'user.custom_tool_result').custom_tool_use_id;
        results.add(id);
        answers.set(id, event);
        break;
      }
      case 'user.tool_confirmation':
        answers.set(payloadOf(event, 'user.tool_confirmation').tool_use_id, event);
        break;
      default:
        break;
    }
  }
  return uses.flatMap((event) => {
    const use = toolUseOf(event);
    if (!use || results.has(event.id)) return [];
    const answer = answers.get(event.id);
    return [{ ...use, event, ...(answer ? { answer } : {}) }];
  });
}
