import type { EventPayload, EventType } from '@stratus/contracts';
import type { Event as EventRow } from '@stratus/db';
import { newEvent } from '@stratus/events';
import { summarizeTurn } from './turn-summary';

const row = <T extends EventType>(type: T, turnId: string | null, payload: EventPayload<T>): EventRow => ({
  id: `evt_${Math.random()}`,
  sessionId: 's',
  workspaceId: 'w',
  seq: 0,
  type,
  turnId,
  dedupeKey: null,
  payload: newEvent(type, payload).payload,
  createdAt: new Date(),
  processedAt: null,
});
const usage = (input: number, output: number, isError = false) => ({ model_request_start_id: 'evt_start', model_usage: { input_tokens: input, output_tokens: output }, is_error: isError });
const use = { name: 'Bash', input: {}, evaluated_permission: 'allow' as const };

describe('summarizeTurn', () => {
  it("counts the turn's model calls, tool calls and tokens, and nothing of other turns", () => {
    const rows = [
      row('user.message', null, { content: [] }),
      row('span.model_request_end', 'turn_a', usage(10, 3)),
      row('agent.tool_use', 'turn_a', use),
      row('agent.mcp_tool_use', 'turn_a', { ...use, mcp_server_name: 'weather' }),
      row('agent.tool_result', 'turn_a', { tool_use_id: 'evt_use', content: [], is_error: false }),
      row('span.model_request_end', 'turn_a', usage(20, 5)),
      row('span.model_request_end', 'turn_b', usage(99, 99)),
      row('span.model_request_end', 'turn_a', usage(0, 0, true)),
    ];
    expect(summarizeTurn(rows, 'turn_a')).toEqual({ steps: 3, toolCalls: 2, inputTokens: 30, outputTokens: 8 });
  });
});
