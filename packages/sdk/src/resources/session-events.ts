import type { DeltaEventType, EventType, SendEventsRequest, SessionEvent } from '@stratus/contracts';
import type { ListParams, PageList } from '../core/pagination.js';
import { APIResource, segment } from '../core/resource.js';
import type { InputOf, RequestOptions } from '../core/types.js';
import { ResumableStream, type ResumableStreamOptions } from '../streaming/resumable-stream.js';

export type EventSendParams = InputOf<typeof SendEventsRequest>;
export type UserEventParam = EventSendParams['events'][number];

export interface EventListParams extends ListParams {
  /** Only events of these types. */
  types?: EventType[];
}

export interface StreamEventsOptions extends Omit<ResumableStreamOptions, 'connect'> {
  /** Live text previews (`event_start`/`event_delta`) of these event types. */
  eventDeltas?: DeltaEventType[];
}

/** `/sessions/{id}/events`: the session's log, what the client sends into it, and its live stream. */
export class SessionEvents extends APIResource {
  /** The persisted events, oldest first by default. */
  list(sessionId: string, params: EventListParams = {}, options?: RequestOptions): PageList<SessionEvent> {
    return this.paginate<SessionEvent>(`/sessions/${segment(sessionId)}/events`, { ...params }, options);
  }

  /** Sends user events (`user.message`, `user.interrupt`, tool results and confirmations); resolves with them as stored. */
  send(sessionId: string, body: EventSendParams, options?: RequestOptions): Promise<{ data: SessionEvent[] }> {
    return this.transport.request('POST', `/sessions/${segment(sessionId)}/events`, { ...options, body });
  }

  /**
   * The session's events as an async iterable: the history (or what follows `lastEventId`),
   * then live events, resuming by itself across disconnections until `session.deleted`.
   */
  stream(sessionId: string, options: StreamEventsOptions = {}): ResumableStream {
    const { eventDeltas, ...rest } = options;
    const query = new URLSearchParams();
    for (const type of eventDeltas ?? []) query.append('event_deltas[]', type);
    const url = this.transport.url(`/sessions/${segment(sessionId)}/events/stream`, query);
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
