import net from 'node:net';
import { eventually } from '@stratus/testing';
import { streamPath } from './gateway-app';

/**
 * A stream read over a bare TCP socket, so a test controls the reading itself: pausing it makes
 * the kernel buffers fill and the gateway feel back-pressure, as with a client that stops reading.
 */
export interface SocketStream {
  pause(): void;
  resume(): void;
  /** True once the connection is closed. */
  readonly closed: boolean;
  /** Ids of the complete frames received (a connection may be cut in the middle of the last one). */
  ids(): string[];
  close(): void;
}

export async function openSocketStream(baseUrl: string, sessionId: string, token: string): Promise<SocketStream> {
  const socket = net.connect(Number(new URL(baseUrl).port), '127.0.0.1');
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.write(`GET ${streamPath(sessionId)} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
  await eventually(async () => received.includes('\r\n\r\n'), 10_000, 'the response headers');
  if (!received.startsWith('HTTP/1.1 200')) throw new Error(`stream refused: ${received.split('\r\n')[0]}`);
  return {
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    get closed() {
      return closed;
    },
    // Each write is whole frames, so chunked-encoding lines never split an `id:` line.
    ids: () =>
      received
        .slice(0, received.lastIndexOf('\n\n') + 2)
        .split('\n')
        .filter((line) => line.startsWith('id: '))
        .map((line) => line.slice(4)),
    close: () => socket.destroy(),
  };
}
