import type { Event as EventRow } from '@stratus/db';
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { mcpToolName } from '../mcp/mcp-tool-names';

/** A tool use of the last model step that has no result yet. */
export interface PendingToolUse {
  /** The agent.tool_use, agent.mcp_tool_use or agent.custom_tool_use event. */
  event: EventRow;
  custom: boolean;
  /** The MCP server of an agent.mcp_tool_use (whose `name` is the server's name for the tool). */
  mcpServer?: string;
  name: string;
  input: unknown;
  /** How the built-in tool was allowed to run (undefined for custom tools). */
  permission?: 'allow' | 'ask';
  /** The user.tool_confirmation or user.custom_tool_result that answers it, once sent. */
  answer?: EventRow;
}

/** The turn that is running or paused (waiting for tool answers), as far as the log tells. */
export interface OpenTurn {
  turnId: string;
  /** Its last status event is a session.status_idle with requires_action. */
  paused: boolean;
  /** Model steps completed so far: the index of the next step. */
  step: number;
  /** Model calls started for the current step (failed ones, and one in flight). */
  attempts: number;
  /** A span.model_request_start without its end: a model call that was in flight when its worker stopped. */
  openSpan?: EventRow;
  /** Tool uses of the last completed step without a result, in the order the model asked for them. */
  pending: PendingToolUse[];
  /** The last completed step asked for no tools: the model has given its answer. */
  answered: boolean;
  /**
   * The turn's last word is that its next tool call waits for a sandbox (a session.status_running with
   * `detail: waiting_for_sandbox` and no result since): that call has not started.
   */
  waitingForSandbox: boolean;
}

/** What a session's event log says, for the worker about to run its turns. */
export interface TurnLog {
  /** The conversation so far as Chat Completions messages (the system prompt is not part of it). */
  messages: ChatCompletionMessageParam[];
  open?: OpenTurn;
  /** user.message events that no turn has taken yet, in order. */
  queued: EventRow[];
}

interface TextBlock {
  type: string;
  text?: string;
}

/** The text of an event's `content` blocks. */
export function contentText(payload: unknown): string {
  const content = (payload as { content?: TextBlock[] } | null)?.content;
  return Array.isArray(content) ? content.map((block) => block.text ?? '').join('\n') : '';
}

const payloadOf = <T>(row: EventRow) => row.payload as T;

interface TurnTracker {
  turnId: string;
  paused: boolean;
  step: number;
  attempts: number;
  openSpan?: EventRow;
  stepToolUses: EventRow[];
  lastStepToolUses: EventRow[];
  waitingForSandbox: boolean;
}

/** The `detail` of a session.status_running that says the turn waits for a sandbox (capacity). */
export const WAITING_FOR_SANDBOX = 'waiting_for_sandbox';

/**
 * Rebuilds the conversation and the state of the open turn from a session's events (in sequence
 * order). This is all a worker knows when it takes a turn over, so it is also what it uses when it
 * runs a turn from the start: one path, whether or not another worker was there before.
 *
 * user.message events take their place at the start of the turn that consumed them (not where they
 * were stored, which may be in the middle of an earlier turn); tool calls carry the id of their
 * agent.tool_use / agent.custom_tool_use event, which is what results refer to.
 */
export function readTurnLog(rows: readonly EventRow[]): TurnLog {
  const messagesByTurn = new Map<string, EventRow[]>();
  const queued: EventRow[] = [];
  for (const row of rows) {
    if (row.type !== 'user.message') continue;
    if (row.processedAt === null || row.turnId === null) queued.push(row);
    else messagesByTurn.set(row.turnId, [...(messagesByTurn.get(row.turnId) ?? []), row]);
  }

  const messages: ChatCompletionMessageParam[] = [];
  const results = new Set<string>();
  const answers = new Map<string, EventRow>();
  const started = new Set<string>();
  let turn: TurnTracker | undefined;
  let text = '';
  let calls: ChatCompletionMessageToolCall[] = [];

  for (const row of rows) {
    switch (row.type) {
      case 'session.status_running': {
        const turnId = row.turnId!;
        if (!started.has(turnId)) {
          started.add(turnId);
          for (const message of messagesByTurn.get(turnId) ?? []) messages.push({ role: 'user', content: contentText(message.payload) });
        }
        if (turn?.turnId !== turnId) turn = { turnId, paused: false, step: 0, attempts: 0, stepToolUses: [], lastStepToolUses: [], waitingForSandbox: false };
        turn.paused = false;
        turn.waitingForSandbox = payloadOf<{ detail?: string }>(row).detail === WAITING_FOR_SANDBOX;
        break;
      }
      case 'session.status_idle': {
        const stop = payloadOf<{ stop_reason?: { type?: string } }>(row).stop_reason?.type;
        if (turn && turn.turnId === row.turnId) {
          if (stop === 'requires_action') turn.paused = true;
          else turn = undefined;
        }
        break;
      }
      case 'span.model_request_start':
        text = '';
        calls = [];
        if (turn) {
          turn.openSpan = row;
          turn.attempts += 1;
          turn.stepToolUses = [];
        }
        break;
      case 'agent.message':
        text += contentText(row.payload);
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use': {
        const { name, input, mcp_server_name: server } = payloadOf<{ name: string; input: unknown; mcp_server_name?: string }>(row);
        // The model called an MCP tool by the name it was offered under, not the server's.
        const called = row.type === 'agent.mcp_tool_use' && server !== undefined ? mcpToolName(server, name) : name;
        calls.push({ id: row.id, type: 'function', function: { name: called, arguments: JSON.stringify(input ?? {}) } });
        turn?.stepToolUses.push(row);
        break;
      }
      case 'span.model_request_end': {
        const failed = payloadOf<{ is_error?: boolean }>(row).is_error === true;
        if (!failed && (text !== '' || calls.length > 0)) {
          messages.push({ role: 'assistant', content: text === '' ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
        }
        if (turn) {
          turn.openSpan = undefined;
          if (!failed) {
            turn.step += 1;
            turn.attempts = 0;
            turn.lastStepToolUses = turn.stepToolUses;
          }
        }
        text = '';
        calls = [];
        break;
      }
      case 'agent.tool_result':
      case 'agent.mcp_tool_result': {
        const { tool_use_id: builtinId, mcp_tool_use_id: mcpId } = payloadOf<{ tool_use_id?: string; mcp_tool_use_id?: string }>(row);
        const toolUseId = (builtinId ?? mcpId)!;
        results.add(toolUseId);
        if (turn) turn.waitingForSandbox = false;
        messages.push({ role: 'tool', tool_call_id: toolUseId, content: contentText(row.payload) });
        break;
      }
      case 'user.custom_tool_result': {
        const { custom_tool_use_id: id, is_error: isError } = payloadOf<{ custom_tool_use_id: string; is_error?: boolean }>(row);
        results.add(id);
        answers.set(id, row);
        messages.push({ role: 'tool', tool_call_id: id, content: `${isError ? 'Error: ' : ''}${contentText(row.payload)}` });
        break;
      }
      case 'user.tool_confirmation':
        answers.set(payloadOf<{ tool_use_id: string }>(row).tool_use_id, row);
        break;
      default:
        break;
    }
  }

  const open: OpenTurn | undefined = turn && {
    turnId: turn.turnId,
    paused: turn.paused,
    step: turn.step,
    attempts: turn.attempts,
    openSpan: turn.openSpan,
    answered: turn.step > 0 && turn.lastStepToolUses.length === 0,
    waitingForSandbox: turn.waitingForSandbox,
    pending: turn.lastStepToolUses
      .filter((use) => !results.has(use.id))
      .map((use) => {
        const payload = payloadOf<{ name: string; input: unknown; evaluated_permission?: 'allow' | 'ask'; mcp_server_name?: string }>(use);
        return {
          event: use,
          custom: use.type === 'agent.custom_tool_use',
          ...(use.type === 'agent.mcp_tool_use' ? { mcpServer: payload.mcp_server_name } : {}),
          name: payload.name,
          input: payload.input,
          permission: payload.evaluated_permission,
          answer: answers.get(use.id),
        };
      }),
  };
  return { messages, open, queued };
}
