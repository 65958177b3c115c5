import type { EventType } from '@stratus/contracts';
import { contentText, payloadOf, pendingToolUses, toolUseOf, type LoggedEvent, type PendingToolUse } from '@stratus/events';
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { mcpToolName } from '../mcp/mcp-tool-names';

/**
 * An event as a turn reads the log: a stored row, or one of its own staged for the next commit (not
 * stored yet, so without a sequence number: the reader goes by position, and staged events come after
 * everything stored).
 */
export interface TurnEvent extends LoggedEvent {
  turnId: string | null;
  /** Null for a user event no turn has taken yet. */
  processedAt: Date | null;
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
  openSpan?: TurnEvent;
  /** Tool uses of the last completed step without a result, in the order the model asked for them. */
  pending: PendingToolUse<TurnEvent>[];
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
  queued: TurnEvent[];
}

interface TurnTracker {
  turnId: string;
  paused: boolean;
  step: number;
  attempts: number;
  openSpan?: TurnEvent;
  stepToolUses: TurnEvent[];
  lastStepToolUses: TurnEvent[];
  waitingForSandbox: boolean;
}

/**
 * The event types readTurnLog builds the conversation and the turn's state from: of a closed turn,
 * nothing else is read (session-context.repository.ts). Tool confirmations matter only to the open
 * turn's pending tool uses, which that read takes in full.
 */
export const TURN_LOG_TYPES: readonly EventType[] = [
  'user.message',
  'user.custom_tool_result',
  'session.status_running',
  'session.status_idle',
  'span.model_request_start',
  'span.model_request_end',
  'agent.message',
  'agent.tool_use',
  'agent.mcp_tool_use',
  'agent.custom_tool_use',
  'agent.tool_result',
  'agent.mcp_tool_result',
];

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
export function readTurnLog(rows: readonly TurnEvent[]): TurnLog {
  const messagesByTurn = new Map<string, TurnEvent[]>();
  const queued: TurnEvent[] = [];
  for (const row of rows) {
    if (row.type !== 'user.message') continue;
    if (row.processedAt === null || row.turnId === null) queued.push(row);
    else messagesByTurn.set(row.turnId, [...(messagesByTurn.get(row.turnId) ?? []), row]);
  }

  const messages: ChatCompletionMessageParam[] = [];
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
          for (const message of messagesByTurn.get(turnId) ?? []) messages.push({ role: 'user', content: contentText(payloadOf(message, 'user.message').content) });
        }
        if (turn?.turnId !== turnId) turn = { turnId, paused: false, step: 0, attempts: 0, stepToolUses: [], lastStepToolUses: [], waitingForSandbox: false };
        turn.paused = false;
        turn.waitingForSandbox = payloadOf(row, 'session.status_running').detail === WAITING_FOR_SANDBOX;
        break;
      }
      case 'session.status_idle': {
        const stop = payloadOf(row, 'session.status_idle').stop_reason.type;
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
        text += contentText(payloadOf(row, 'agent.message').content);
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use': {
        const use = toolUseOf(row);
        if (!use) break;
        // The model called an MCP tool by the name it was offered under, not the server's.
        const called = use.mcpServer !== undefined ? mcpToolName(use.mcpServer, use.name) : use.name;
        calls.push({ id: row.id, type: 'function', function: { name: called, arguments: JSON.stringify(use.input ?? {}) } });
        turn?.stepToolUses.push(row);
        break;
      }
      case 'span.model_request_end': {
        const failed = payloadOf(row, 'span.model_request_end').is_error;
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
      case 'agent.tool_result': {
        const { tool_use_id: toolUseId, content } = payloadOf(row, 'agent.tool_result');
        if (turn) turn.waitingForSandbox = false;
        messages.push({ role: 'tool', tool_call_id: toolUseId, content: contentText(content) });
        break;
      }
      case 'agent.mcp_tool_result': {
        const { mcp_tool_use_id: toolUseId, content } = payloadOf(row, 'agent.mcp_tool_result');
        messages.push({ role: 'tool', tool_call_id: toolUseId, content: contentText(content) });
        if (turn) turn.waitingForSandbox = false;
        break;
      }
      case 'user.custom_tool_result': {
        const { custom_tool_use_id: id, is_error: isError, content } = payloadOf(row, 'user.custom_tool_result');
        messages.push({ role: 'tool', tool_call_id: id, content: `${isError ? 'Error: ' : ''}${contentText(content)}` });
        break;
      }
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
    pending: pendingToolUses(turn.lastStepToolUses, rows),
  };
  return { messages, open, queued };
}
