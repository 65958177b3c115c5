import { isSessionEvent, Stratus, type ReconnectInfo } from '@stratus/sdk';
import { eventually } from '@stratus/testing';

/** The SDK's resumable stream read in the background, with deduplication off so repeats would show. */
export interface SdkReader {
  ids: string[];
  reconnects: ReconnectInfo[];
  waitForIds(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function readWithSdk(baseURL: string, token: string, sessionId: string): SdkReader {
  const abort = new AbortController();
  const reader: SdkReader = {
    ids: [],
    reconnects: [],
    waitForIds: async (count, timeoutMs = 20_000) => {
      await eventually(async () => reader.ids.length >= count, timeoutMs, `${count} events through the SDK (have ${reader.ids.length})`);
    },
    stop: async () => {
      abort.abort();
      await done;
    },
  };
  const stream = new Stratus({ baseURL, token }).sessions.events.stream(sessionId, {
    signal: abort.signal,
    dedupeWindow: 0,
    backoff: { initialMs: 50, maxMs: 500 },
    onReconnect: (info) => reader.reconnects.push(info),
  });
  const done = (async () => {
    for await (const event of stream) if (isSessionEvent(event)) reader.ids.push(event.id);
  })();
  return reader;
}
