import { contextOf, inSpan, SpanKind, stratusMetrics } from '@stratus/telemetry';
import type { Job } from 'bullmq';

/** A job's data may carry the trace context of whoever enqueued it (SessionTurnJob.traceparent). */
function traceparentOf(data: unknown): string | undefined {
  const traceparent = (data as { traceparent?: unknown } | null)?.traceparent;
  return typeof traceparent === 'string' ? traceparent : undefined;
}

/**
 * Runs one attempt of a job in a consumer span, a child of the span that enqueued it when its data
 * carries one (the API request that sent the message), and measures the queue wait: from enqueue
 * (plus any delay it was given) to this start.
 */
export function traceJob<T>(queue: string, job: Job, process: () => Promise<T>): Promise<T> {
  const waitedMs = Date.now() - job.timestamp - (job.delay ?? 0);
  if (job.attemptsStarted <= 1) stratusMetrics().queueWaitTime.record(Math.max(0, waitedMs) / 1000, { queue });
  const attributes = { 'messaging.system': 'bullmq', 'messaging.operation.type': 'process', 'messaging.destination.name': queue, 'messaging.message.id': job.id ?? '' };
  return inSpan(`process ${queue}`, { kind: SpanKind.CONSUMER, parent: contextOf(traceparentOf(job.data)), attributes }, process);
}
