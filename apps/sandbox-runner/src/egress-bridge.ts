import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface EgressBridge {
  /** The loopback port inside the sandbox that leads to the egress proxy. */
  port: number;
  close(): Promise<void>;
}

/**
 * Bridges a loopback TCP port to the egress proxy's Unix socket. The sandbox has a network namespace
 * of its own with nothing but loopback, so this port is its only way out, and everything sent
 * through it meets the proxy's policy and its check of the sandbox's signed credential.
 */
export async function startEgressBridge(socketPath: string): Promise<EgressBridge> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(socketPath);
    open.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
