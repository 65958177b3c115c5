import { spawn } from 'node:child_process';
import type { Server } from 'node:net';
import { bridgeToUnixSocket, type SocketBridge } from '@stratus/sandbox-protocol';

/** The loopback port inside every local sandbox that leads to the egress proxy (each sandbox has its own network namespace). */
export const EGRESS_BRIDGE_PORT = 3128;
/** Connections one sandbox may hold open through its bridge at once (the proxy caps them per credential too). */
const MAX_BRIDGE_CONNECTIONS = 256;
const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Listens on the port inside the network namespace it was started in and hands the listening socket
 * to its parent over the IPC channel, then exits: the socket stays in the sandbox's namespace while
 * the worker holds it.
 */
const LISTEN_AND_HAND_OVER = `
const server = require('node:net').createServer();
server.on('error', (error) => { console.error(error.message); process.exit(1); });
server.listen(Number(process.argv[1]), '127.0.0.1', () => process.send('listening', server, () => process.exit(0)));
`;

/**
 * Bridges 127.0.0.1:EGRESS_BRIDGE_PORT inside a sandbox's network namespace to the egress proxy's
 * Unix socket, from the worker: a short-lived node entering only that namespace (`nsenter --net`)
 * opens the listening socket and passes it over, so between calls no process of the sandbox serves
 * it. Everything sent through it meets the proxy's policy and its check of the sandbox's credential.
 */
export async function startEgressBridge(options: { initPid: number; nodePath: string; proxySocket: string }): Promise<SocketBridge> {
  const child = spawn('nsenter', [`--net=/proc/${options.initPid}/ns/net`, '--', options.nodePath, '-e', LISTEN_AND_HAND_OVER, String(EGRESS_BRIDGE_PORT)], {
    env: { PATH: SYSTEM_PATH },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  const server = await new Promise<Server>((resolve, reject) => {
    child.once('message', (_message, handle) => resolve(handle as Server));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the egress bridge could not listen in the sandbox (exit ${code}): ${stderr.trim()}`)));
  });
  server.maxConnections = MAX_BRIDGE_CONNECTIONS;
  return bridgeToUnixSocket(server, options.proxySocket);
}
