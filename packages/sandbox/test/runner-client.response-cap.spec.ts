import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MAX_RESPONSE_BYTES, RunnerClient, RunnerResponseTooLargeError } from '../src';

const HUGE = 256 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

interface Sent {
  bytes: number;
  /** Whether the whole body went out before the connection closed. */
  finished: boolean;
}

/**
 * A stand-in runner that answers every request with HUGE bytes, written as fast as the client takes
 * them, and records how much it got to send before the client hung up.
 */
async function startHugeServer(declareLength: boolean): Promise<{ baseUrl: string; sent: Promise<Sent>; close(): Promise<void> }> {
  let report!: (sent: Sent) => void;
  const sent = new Promise<Sent>((resolve) => (report = resolve));
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': HUGE } : {}) });
    void pump(res, report);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function pump(res: ServerResponse, report: (sent: Sent) => void): Promise<void> {
  let bytes = 0;
  const closed = once(res, 'close');
  let open = true;
  void closed.then(() => (open = false));
  while (bytes < HUGE && open) {
    bytes += CHUNK.length;
    if (!res.write(CHUNK)) {
      const drained = new Promise<void>((resolve) => res.once('drain', resolve));
      await Promise.race([drained, closed]);
    }
  }
  if (open) res.end();
  await closed;
  report({ bytes, finished: res.writableFinished });
}

describe('RunnerClient response cap', () => {
  it.each([
    ['streamed without a length, over the default cap', false, undefined],
    ['declaring its length, over a configured cap', true, 1024 * 1024],
  ])('refuses a 256 MiB answer %s, hanging up instead of reading it', async (_how, declareLength, maxResponseBytes) => {
    const server = await startHugeServer(declareLength);
    const client = new RunnerClient({ baseUrl: server.baseUrl }, 'token', { maxResponseBytes });
    try {
      const error = await client.exec({ command: 'yes' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunnerResponseTooLargeError);
      expect(error).toMatchObject({
        type: 'response_too_large',
        message: `the sandbox runner's answer to /v1/exec is larger than ${maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES} bytes; it was dropped unread`,
      });
      const sent = await server.sent;
      expect(sent.finished).toBe(false);
      expect(sent.bytes).toBeLessThan(HUGE / 2);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
