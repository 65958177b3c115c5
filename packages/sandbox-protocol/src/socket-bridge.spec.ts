import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bridgeToUnixSocket } from './socket-bridge';

describe('bridgeToUnixSocket', () => {
  it('pipes each TCP connection to the Unix socket both ways, and close ends the connections it holds', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bridge-'));
    const socketPath = path.join(dir, 'upstream.sock');
    // Upstream: answers every line with its upper case, and keeps the connection open.
    const upstream = createServer((socket) => socket.on('data', (chunk) => socket.write(chunk.toString().toUpperCase())));
    await new Promise<void>((resolve) => upstream.listen(socketPath, resolve));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const bridge = bridgeToUnixSocket(server, socketPath);
    try {
      const client: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      const answer = await new Promise<string>((resolve) => {
        client.once('data', (chunk) => resolve(chunk.toString()));
        client.write('hello');
      });
      expect(answer).toBe('HELLO');
      const ended = new Promise((resolve) => client.once('close', resolve));
      await bridge.close();
      await ended;
      expect(server.listening).toBe(false);
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
