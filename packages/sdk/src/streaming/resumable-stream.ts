import { APIConnectionError, APIError, StratusError } from '../core/errors.js';
import { Backoff, DEFAULT_BACKOFF, jitter, type BackoffOptions } from './backoff.js';
import { SseDecoder, type SseMessage } from './sse-decoder.js';
import { isSessionEvent, TERMINAL_EVENT_TYPES, type StreamEvent } from './stream-event.js';

export interface ReconnectInfo {
  /** Reconnections so far, this one included. */
  attempt: number;
  delayMs: number;
  /** The id the next connection resumes after. */
  lastEventId: string | undefined;
  /** Why the previous connection ended: an APIError, an APIConnectionError, or a network error. */
  reason: unknown;
}

export interface ResumableStreamOptions {
  /** Opens one connection, resuming after `lastEventId` when given; rejects with an APIError on an error status. */
  connect(lastEventId: string | undefined, signal: AbortSignal): Promise<Response>;
  /** Start after this event instead of from the beginning. */
  lastEventId?: string;
  backoff?: Partial<BackoffOptions>;
  /** A connection that lasted this long was healthy: the backoff starts over (Qoder: 5 s). */
  healthyAfterMs?: number;
  /** How many recent event ids are remembered to drop repeats across reconnections (0: none, every frame is yielded). */
  dedupeWindow?: number;
  /** Ends the iteration. */
  signal?: AbortSignal;
  onReconnect?(info: ReconnectInfo): void;
  /** Called each time a connection is open (the server has answered; events may follow). */
  onConnect?(): void;
}

/**
 * Remembers the last `capacity` ids, forgetting the oldest first. The order is a ring of ids: taking
 * the oldest from the Set's own iteration order would walk past every id deleted before it.
 */
class RecentIds {
  private readonly ids = new Set<string>();
  private readonly ring: string[] = [];
  private oldest = 0;

  constructor(private readonly capacity: number) {}

  /** Records the id; false when it was already there. */
  add(id: string): boolean {
    if (this.capacity === 0) return true;
    if (this.ids.has(id)) return false;
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
    } else {
      this.ids.delete(this.ring[this.oldest]!);
      this.ring[this.oldest] = id;
      this.oldest = (this.oldest + 1) % this.capacity;
    }
    this.ids.add(id);
    return true;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Errors after which reconnecting cannot help: bad requests, auth, unknown sessions, garbled streams. */
function isFatal(error: unknown): boolean {
  if (error instanceof APIError) return !error.retryable;
  return error instanceof StratusError && !(error instanceof APIConnectionError);
}

/**
 * A session's event stream that survives disconnections, as Qoder's ResumableStream does: it
 * reconnects with `Last-Event-ID` after jittered exponential backoff (0.5 s doubling to 10 s,
 * reset once a connection stayed up for 5 s, or the server's `retry:` when it sent one), drops
 * any event it has already yielded, and ends after `session.deleted`.
 */
export class ResumableStream implements AsyncIterable<StreamEvent> {
  private lastId: string | undefined;
  private readonly seen: RecentIds;
  private started = false;

  constructor(private readonly options: ResumableStreamOptions) {
    this.lastId = options.lastEventId;
    this.seen = new RecentIds(options.dedupeWindow ?? 10_000);
  }

  /** The id of the last persisted event yielded: where a new stream would resume. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamEvent, void, undefined> {
    if (this.started) throw new StratusError('A stream can be iterated only once; open another to read again.');
    this.started = true;
    const controller = new AbortController();
    const abort = () => controller.abort(this.options.signal?.reason);
    if (this.options.signal?.aborted) return;
    this.options.signal?.addEventListener('abort', abort, { once: true });
    const backoff = new Backoff({ ...DEFAULT_BACKOFF, ...this.options.backoff });
    const healthyAfterMs = this.options.healthyAfterMs ?? 5000;
    try {
      for (let attempt = 1; ; attempt++) {
        const connectedAt = Date.now();
        let serverRetryMs: number | undefined;
        let reason: unknown;
        try {
          const response = await this.options.connect(this.lastId, controller.signal);
          if (!response.body) throw new APIConnectionError('the stream response has no body');
          this.options.onConnect?.();
          const pending: StreamEvent[] = [];
          const decoder = new SseDecoder({
            onMessage: (message) => {
              const event = this.accept(message);
              if (event) pending.push(event);
            },
            onRetry: (ms) => {
              serverRetryMs = ms;
            },
          });
          const text = new TextDecoder();
          // A reader rather than `for await` over the body: Safari's streams are not async iterable.
          const reader = (response.body as ReadableStream<Uint8Array>).getReader();
          try {
            for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
              decoder.push(text.decode(chunk.value, { stream: true }));
              for (let event = pending.shift(); event; event = pending.shift()) {
                if (isSessionEvent(event)) this.lastId = event.id;
                yield event;
                if (TERMINAL_EVENT_TYPES.has(event.type)) return;
              }
            }
          } finally {
            reader.cancel().catch(() => undefined);
          }
          reason = new APIConnectionError('the server ended the stream');
        } catch (error) {
          if (controller.signal.aborted) return;
          if (isFatal(error)) throw error;
          reason = error;
        }
        if (Date.now() - connectedAt >= healthyAfterMs) backoff.reset();
        const retryAfterMs = reason instanceof APIError && reason.retryAfterSeconds !== undefined ? reason.retryAfterSeconds * 1000 : 0;
        const delayMs = serverRetryMs !== undefined ? jitter(serverRetryMs) : Math.max(backoff.next(), retryAfterMs);
        this.options.onReconnect?.({ attempt, delayMs, lastEventId: this.lastId, reason });
        await sleep(delayMs, controller.signal);
        if (controller.signal.aborted) return;
      }
    } finally {
      this.options.signal?.removeEventListener('abort', abort);
      controller.abort();
    }
  }

  /** The event a frame carries, or undefined for a repeat of an event already yielded. */
  private accept(message: SseMessage): StreamEvent | undefined {
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      throw new StratusError(`The stream sent a frame that is not JSON (event "${message.event}").`);
    }
    if (typeof data !== 'object' || data === null) throw new StratusError(`The stream sent a frame that is not an object (event "${message.event}").`);
    const event = data as StreamEvent;
    // As Anthropic's SDK does: a frame whose data lacks a type takes it from the event name.
    if (typeof (event as { type?: unknown }).type !== 'string') (event as { type: string }).type = message.event;
    if (isSessionEvent(event) && !this.seen.add(event.id)) return undefined;
    return event;
  }
}
