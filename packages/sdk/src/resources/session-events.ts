import type { DeltaEventType } from '@stratus/contracts';
import type { Transport } from '../core/transport';
import { ResumableStream, type ResumableStreamOptions } from '../streaming/resumable-stream';

export interface StreamEventsOptions extends Omit<ResumableStreamOptions, 'connect'> {
  /** Live text previews (`event_start`/`event_delta`) of these event types. */
  eventDeltas?: DeltaEventType[];
}

/** `/sessions/{id}/events`: the stream today; listing and sending join it as typed resources. */
export class SessionEvents {
  constructor(private readonly transport: Transport) {}

  /**
   * The session's events as an async iterable: the history (or what follows `lastEventId`),
   * then live events, resuming by itself across disconnections until `session.deleted`.
   */
  stream(sessionId: string, options: StreamEventsOptions = {}): ResumableStream {
    const { eventDeltas, ...rest } = options;
    const query = new URLSearchParams();
    for (const type of eventDeltas ?? []) query.append('event_deltas[]', type);
    const url = this.transport.url(`/sessions/${encodeURIComponent(sessionId)}/events/stream`, query);
    return new ResumableStream({
      ...rest,
      connect: (lastEventId, signal) =>
        this.transport.send('GET', url, {
          headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
          signal,
        }),
    });
  }
}
