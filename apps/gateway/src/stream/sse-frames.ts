/**
 * The text/event-stream frames the gateway writes. Ids and types never contain line breaks and
 * JSON.stringify escapes them in data, so every frame is exactly one event.
 */

/** A persisted event: `id:` lets the client resume after it, `event:` is its type. */
export function eventFrame(event: { id: string; type: string }): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * A live preview frame. It carries no `id:` on purpose: a client's Last-Event-ID must always
 * name a persisted event, which a preview is not (yet).
 */
export function previewFrame(data: { type: 'event_start' | 'event_delta'; [field: string]: unknown }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Keeps idle connections alive through proxies; clients ignore comments. */
export const HEARTBEAT_FRAME = ': heartbeat\n\n';

/** Tells the client how long to wait before it reconnects (sent when the gateway shuts down). */
export function retryFrame(milliseconds: number): string {
  return `retry: ${milliseconds}\n\n`;
}
