import { payloadOf } from '@stratus/events';
import type { TurnEvent } from './turn-log';

/** What one turn did, from its events: the per-turn log line. */
export interface TurnSummary {
  steps: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
}

const TOOL_USES = new Set(['agent.tool_use', 'agent.custom_tool_use', 'agent.mcp_tool_use']);

/** Counts a turn's model calls, tool calls and tokens in the events stored for it. */
export function summarizeTurn(rows: readonly TurnEvent[], turnId: string): TurnSummary {
  const summary: TurnSummary = { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0 };
  for (const row of rows) {
    if (row.turnId !== turnId) continue;
    if (TOOL_USES.has(row.type)) summary.toolCalls++;
    if (row.type !== 'span.model_request_end') continue;
    summary.steps++;
    const usage = payloadOf(row, 'span.model_request_end').model_usage;
    summary.inputTokens += usage.input_tokens;
    summary.outputTokens += usage.output_tokens;
  }
  return summary;
}
