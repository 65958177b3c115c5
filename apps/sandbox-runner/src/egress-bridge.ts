import { createServer, type AddressInfo } from 'node:net';
import { bridgeToUnixSocket } from '@stratus/sandbox-protocol';

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
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const bridge = bridgeToUnixSocket(server, socketPath);
  return { port: (server.address() as AddressInfo).port, close: () => bridge.close() };
}
