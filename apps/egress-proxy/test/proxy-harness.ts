import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Networking } from '@stratus/contracts';
import { egressProxyUrl } from '@stratus/sandbox/egress';
import { createEgressProxy, type EgressProxyOptions, type Resolver } from '../src';

export const KEY = 'egress-proxy-test-key-0123456789abcdef';

/** Test names that resolve to loopback, so allowed and refused hosts can both be real servers here. */
export const loopbackResolver: Resolver = async (host) => {
  if (host.endsWith('.test') || PACKAGE_HOSTS.has(host)) return [{ address: '127.0.0.1', family: 4 }];
  throw new Error(`getaddrinfo ENOTFOUND ${host}`);
};
const PACKAGE_HOSTS = new Set(['registry.npmjs.org', 'pypi.org']);

export interface LogLine {
  level: 'info' | 'warn';
  details: Record<string, unknown>;
  message: string;
}

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** An egress proxy on loopback that records its log lines. */
export async function startProxy(overrides: Partial<EgressProxyOptions> = {}): Promise<{ port: number; logs: LogLine[]; server: Server }> {
  const logs: LogLine[] = [];
  const server = createEgressProxy({
    signingKeys: [KEY],
    connectPorts: 'any',
    forwardPorts: 'any',
    allowPrivateAddresses: true,
    resolver: loopbackResolver,
    logger: {
      info: (details, message) => logs.push({ level: 'info', details, message }),
      warn: (details, message) => logs.push({ level: 'warn', details, message }),
    },
    ...overrides,
  });
  return { port: await listen(server), logs, server };
}

/** An upstream HTTP server answering with the Host it was asked for. */
export async function startUpstream(): Promise<{ port: number; server: Server; hosts: string[] }> {
  const hosts: string[] = [];
  const server = createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    const body = `upstream saw ${req.headers.host ?? ''} ${req.url ?? ''}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  return { port: await listen(server), server, hosts };
}

/** The HTTP(S)_PROXY value a sandbox with this policy gets. */
export function proxyUrlFor(proxyPort: number, policy: Networking, key = KEY, expiresAt = Math.floor(Date.now() / 1000) + 3600): string {
  return egressProxyUrl(`http://127.0.0.1:${proxyPort}`, { sessionId: 'sess_test', workspaceId: 'wksp_test', policy, expiresAt }, key);
}

/** Opens a CONNECT tunnel with the URL's credentials and sends GET /x through it; returns what came back. */
export async function tunnelGet(proxyUrl: string, host: string, port: number): Promise<{ status: number; body: string }> {
  const proxy = new URL(proxyUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.hostname, port: Number(proxy.port), method: 'CONNECT', path: `${host}:${port}`, headers: { 'proxy-authorization': authorization } });
    req.on('connect', (res, socket, head: Buffer) => {
      // Bytes after the response head that arrived with it (a refusal's body) come as `head`.
      let raw = head.toString();
      socket.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      if (res.statusCode !== 200) {
        socket.on('end', () => resolve({ status: res.statusCode ?? 0, body: raw }));
        socket.on('close', () => resolve({ status: res.statusCode ?? 0, body: raw }));
        return;
      }
      socket.on('end', () => {
        const [head = '', body = ''] = raw.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body });
      });
      socket.write(`GET /x HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
    });
    req.on('error', reject);
    req.end();
  });
}
