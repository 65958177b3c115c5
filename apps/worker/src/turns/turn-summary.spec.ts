import type { Event as EventRow } from '@stratus/db';
import { summarizeTurn } from './turn-summary';

const row = (type: string, turnId: string | null, payload: object = {}): EventRow =>
  ({ id: `evt_${Math.random()}`, sessionId: 's', workspaceId: 'w', seq: 0, type, turnId, dedupeKey: null, payload, createdAt: new Date(), processedAt: null });

describe('summarizeTurn', () => {
  it("counts the turn's model calls, tool calls and tokens, and nothing of other turns", () => {
    const rows = [
      row('user.message', null),
      row('span.model_request_end', 'turn_a', { model_usage: { input_tokens: 10, output_tokens: 3 } }),
      row('agent.tool_use', 'turn_a'),
      row('agent.mcp_tool_use', 'turn_a'),
      row('agent.tool_result', 'turn_a'),
      row('span.model_request_end', 'turn_a', { model_usage: { input_tokens: 20, output_tokens: 5 } }),
      row('span.model_request_end', 'turn_b', { model_usage: { input_tokens: 99, output_tokens: 99 } }),
      row('span.model_request_end', 'turn_a', { is_error: true }),
    ];
    expect(summarizeTurn(rows, 'turn_a')).toEqual({ steps: 3, toolCalls: 2, inputTokens: 30, outputTokens: 8 });
  });
});
