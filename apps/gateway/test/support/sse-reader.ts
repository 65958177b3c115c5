import { SseDecoder, type SseMessage } from '@stratus/sdk';
import { eventually } from '@stratus/testing';
import { streamPath } from './gateway-app';

/**
 * One stream connection read frame by frame with no cleverness (no resume, no dedupe), so a test
 * sees exactly what the gateway wrote: events, comments, `retry:` fields, and how it ended.
 */
export interface RawStream {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  comments: string[];
  retries: number[];
  /** Ids of the persisted events received, in order. */
  readonly ids: string[];
  /** Set when the server ended the stream or the connection broke. */
  readonly ended: boolean;
  /** The error body when the status is not 200. */
  body: any;
  waitForIds(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function openRaw(baseUrl: string, sessionId: string, token: string, options: { headers?: Record<string, string>; query?: string } = {}): Promise<RawStream> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}${streamPath(sessionId)}${options.query ? `?${options.query}` : ''}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...options.headers },
    signal: controller.signal,
  });
  let ended = false;
  const stream: RawStream = {
    status: response.status,
    headers: response.headers,
    messages: [],
    comments: [],
    retries: [],
    get ids() {
      return stream.messages.filter((m) => m.id !== undefined).map((m) => m.id!);
    },
    get ended() {
      return ended;
    },
    body: undefined,
    waitForIds: async (count, timeoutMs = 10_000) => {
      await eventually(async () => stream.ids.length >= count, timeoutMs, `${count} events on the stream (have ${stream.ids.length})`);
    },
    close: () => controller.abort(),
  };
  if (response.status !== 200) {
    stream.body = await response.json();
    ended = true;
    return stream;
  }
  const decoder = new SseDecoder({
    onMessage: (message) => stream.messages.push(message),
    onComment: (text) => stream.comments.push(text),
    onRetry: (ms) => stream.retries.push(ms),
  });
  const text = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) decoder.push(text.decode(chunk, { stream: true }));
    } catch {
      // aborted by the test, or cut by the server: either way the stream is over
    }
    ended = true;
  })();
  return stream;
}
