import { contextOf, inSpanSync, SpanKind } from '@stratus/telemetry';
import type { LiveEvent } from '../live/live-message';
import type { SseConnection } from './sse-connection';

/**
 * Hands a live event to the session's open streams. An event that carries its publisher's trace
 * context (the worker's turn that committed it) is delivered in a span of that trace, so one trace
 * runs from the API request to the streams that showed its events.
 */
export function deliverTraced(event: LiveEvent, connections: ReadonlySet<SseConnection>): void {
  const deliver = () => {
    for (const connection of connections) connection.deliver(event);
  };
  if (event.traceparent === undefined || connections.size === 0) return deliver();
  inSpanSync(
    'stream.deliver',
    { kind: SpanKind.CONSUMER, parent: contextOf(event.traceparent), attributes: { 'messaging.system': 'redis', 'stratus.event.type': event.type, 'stratus.event.seq': event.seq, 'stratus.streams': connections.size } },
    deliver,
  );
}
