import { inSpan, SpanKind, stratusMetrics } from '@stratus/telemetry';
import type { ModelReply } from './model.repository';

/** What a model call reports while it streams. */
export interface ModelCallObserver {
  /** A chunk arrived (the first one marks the time to first token), with its finish reason if it has one. */
  chunk(finishReason: string | null | undefined): void;
}

/**
 * One model call in a span and in the model metrics, the GenAI semantic conventions' way: span
 * `chat <model>` with gen_ai.system, gen_ai.request.model, gen_ai.usage.* and
 * gen_ai.response.finish_reasons; gen_ai.client.operation.duration (with error.type on failure),
 * gen_ai.client.token.usage and the time to first token.
 */
export function traceModelCall(target: { system: string; model: string }, call: (observer: ModelCallObserver) => Promise<ModelReply>): Promise<ModelReply> {
  const labels = { 'gen_ai.system': target.system, 'gen_ai.request.model': target.model };
  const metrics = stratusMetrics();
  return inSpan(`chat ${target.model}`, { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', ...labels } }, async (span) => {
    const startedAt = performance.now();
    let firstChunk = true;
    const finishReasons: string[] = [];
    try {
      const reply = await call({
        chunk(finishReason) {
          if (firstChunk) metrics.modelTimeToFirstToken.record((performance.now() - startedAt) / 1000, labels);
          firstChunk = false;
          if (finishReason) finishReasons.push(finishReason);
        },
      });
      metrics.modelDuration.record((performance.now() - startedAt) / 1000, labels);
      metrics.tokenUsage.record(reply.usage.input_tokens, { ...labels, 'gen_ai.token.type': 'input' });
      metrics.tokenUsage.record(reply.usage.output_tokens, { ...labels, 'gen_ai.token.type': 'output' });
      span.setAttributes({
        'gen_ai.usage.input_tokens': reply.usage.input_tokens,
        'gen_ai.usage.output_tokens': reply.usage.output_tokens,
        'gen_ai.response.finish_reasons': finishReasons,
      });
      return reply;
    } catch (error) {
      const errorType = error instanceof Error ? error.name : 'unknown';
      metrics.modelDuration.record((performance.now() - startedAt) / 1000, { ...labels, 'error.type': errorType });
      span.setAttribute('error.type', errorType);
      throw error;
    }
  });
}
