import type { Server } from 'node:net';
import { bridgeToUnixSocket, type SocketBridge } from '@stratus/sandbox-protocol';

/** The loopback port inside every local sandbox that leads to the egress proxy (each sandbox has its own network namespace). */
export const EGRESS_BRIDGE_PORT = 3128;
/** Connections one sandbox may hold open through its bridge at once (the proxy caps them per credential too). */
const MAX_BRIDGE_CONNECTIONS = 256;

/**
 * Bridges a listening socket in a sandbox's network namespace (`HostHelper.listen`) to the egress proxy's
 * Unix socket, from the worker. Everything sent through it meets the proxy's policy and its check
 * of the sandbox's credential.
 */
export function bridgeEgress(server: Server, proxySocket: string): SocketBridge {
  server.maxConnections = MAX_BRIDGE_CONNECTIONS;
  return bridgeToUnixSocket(server, proxySocket);
}
