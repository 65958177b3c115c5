import { inSpan, stratusMetrics } from '@stratus/telemetry';
import type { ToolOutcome } from './tool-output';

type Outcome = 'ok' | 'error' | 'denied' | 'interrupted';

function record(name: string, outcome: Outcome, seconds: number): void {
  const metrics = stratusMetrics();
  metrics.toolDuration.record(seconds, { tool_name: name, outcome });
  if (outcome === 'error') metrics.toolErrors.add(1, { tool_name: name });
}

/**
 * One tool call in a span (`execute_tool <name>`, the GenAI conventions' name) and in the tool
 * metrics: `ok` or `error` by its outcome, `interrupted` when the turn stopped it (it threw on `signal`).
 */
export function traceToolCall(name: string, signal: AbortSignal, call: () => Promise<ToolOutcome>): Promise<ToolOutcome> {
  return inSpan(`execute_tool ${name}`, { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name } }, async (span) => {
    const startedAt = performance.now();
    let outcome: Outcome = 'interrupted';
    try {
      const result = await call();
      outcome = result.isError ? 'error' : 'ok';
      return result;
    } catch (error) {
      if (!signal.aborted) outcome = 'error';
      throw error;
    } finally {
      span.setAttribute('stratus.tool.outcome', outcome);
      record(name, outcome, (performance.now() - startedAt) / 1000);
    }
  });
}

/** A tool call the user denied: counted, never run. */
export function recordDeniedToolCall(name: string): void {
  record(name, 'denied', 0);
}
