import { request } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ProxyAgent, fetch } from 'undici';
import type { Networking } from '@stratus/contracts';
import { isPrivateAddress, type Resolver } from '../src';
import { close, loopbackResolver, proxyUrlFor, startProxy, startUpstream } from './proxy-harness';

const UNRESTRICTED: Networking = { type: 'unrestricted' };

/** Opens a CONNECT tunnel and hands back the status and, when it is open, the socket. */
async function openTunnel(proxyUrl: string, target: string): Promise<{ status: number; body: string; socket: Socket }> {
  const proxy = new URL(proxyUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.hostname, port: Number(proxy.port), method: 'CONNECT', path: target, headers: { 'proxy-authorization': authorization } });
    req.on('connect', (res, socket, head: Buffer) => {
      if (res.statusCode === 200) return resolve({ status: 200, body: '', socket });
      let body = head.toString();
      socket.on('data', (chunk: Buffer) => (body += chunk.toString()));
      socket.on('close', () => resolve({ status: res.statusCode ?? 0, body, socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A TCP server that accepts and never says a word: a tunnel to it stays idle. */
async function startSilent(): Promise<{ server: Server; port: number; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('egress proxy hardening', () => {
  describe('special-purpose addresses, refused for every mode', () => {
    const literals = [
      '0.0.0.1',
      '10.1.2.3',
      '100.64.0.1',
      '127.0.0.1',
      '169.254.169.254',
      '172.20.0.1',
      '192.0.0.8',
      '192.0.2.1',
      '192.168.1.1',
      '198.18.0.1',
      '198.19.255.1',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.251',
      '240.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::7f00:1',
      '2002:7f00:1::1',
      '2001:0:4136:e378::1',
      '2001:db8::1',
      'fd00::1',
      'fc00::1',
      'fe80::1',
      'ff02::1',
    ];

    it('classifies the ranges, and leaves public addresses alone', () => {
      expect(literals.filter((address) => !isPrivateAddress(address))).toEqual([]);
      expect(['8.8.8.8', '1.1.1.1', '192.0.1.1', '198.20.0.1', '223.255.255.1', '2606:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8'].filter(isPrivateAddress)).toEqual([]);
    });

    it('answers 403 to tunnels and plain requests to each, even under unrestricted', async () => {
      const proxy = await startProxy({ allowPrivateAddresses: false });
      try {
        for (const address of literals) {
          const host = address.includes(':') ? `[${address}]` : address;
          const tunnel = await openTunnel(proxyUrlFor(proxy.port, UNRESTRICTED), `${host}:443`);
          expect({ address, status: tunnel.status }).toEqual({ address, status: 403 });
          expect(tunnel.body).toContain('private address');
        }
        const agent = new ProxyAgent({ uri: proxyUrlFor(proxy.port, UNRESTRICTED), proxyTunnel: false });
        for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[64:ff9b::7f00:1]', '198.18.0.1', '192.0.0.1']) {
          const response = await fetch(`http://${host}/`, { dispatcher: agent });
          expect({ host, status: response.status }).toEqual({ host, status: 403 });
        }
        await agent.close();
      } finally {
        await close(proxy.server);
      }
    });

    it('refuses a name whose DNS answer is in a special range, NAT64 and 6to4 included', async () => {
      const answers: Record<string, string> = { 'nat64.test': '64:ff9b::a00:1', '6to4.test': '2002:a00:1::1', 'bench.test': '198.18.4.4', 'ietf.test': '192.0.0.170' };
      const resolver: Resolver = async (host) => (answers[host] === undefined ? loopbackResolver(host) : [{ address: answers[host], family: answers[host].includes(':') ? 6 : 4 }]);
      const proxy = await startProxy({ allowPrivateAddresses: false, resolver });
      try {
        for (const host of Object.keys(answers)) {
          const tunnel = await openTunnel(proxyUrlFor(proxy.port, { type: 'allowed_hosts', allowed_hosts: [host] }), `${host}:443`);
          expect(tunnel).toMatchObject({ status: 403, body: expect.stringContaining(`resolves to a private address (${answers[host]})`) });
        }
      } finally {
        await close(proxy.server);
      }
    });
  });

  it('checks the port of plain-HTTP requests as it checks tunnel ports', async () => {
    const upstream = await startUpstream();
    const strict = await startProxy({ forwardPorts: [80] });
    const open = await startProxy({ forwardPorts: [upstream.port] });
    const get = async (proxyPort: number) => {
      const agent = new ProxyAgent({ uri: proxyUrlFor(proxyPort, UNRESTRICTED), proxyTunnel: false });
      try {
        const response = await fetch(`http://api.allowed.test:${upstream.port}/x`, { dispatcher: agent });
        return { status: response.status, body: await response.text() };
      } finally {
        await agent.close();
      }
    };
    try {
      expect(await get(strict.port)).toEqual({ status: 403, body: expect.stringContaining(`api.allowed.test:${upstream.port}: plain-HTTP requests may only use port 80`) });
      expect(strict.logs).toContainEqual(expect.objectContaining({ message: 'egress refused', details: expect.objectContaining({ reason: 'port', kind: 'forward' }) }));
      expect(upstream.hosts).toEqual([]);
      expect(await get(open.port)).toMatchObject({ status: 200 });
    } finally {
      await Promise.all([close(strict.server), close(open.server), close(upstream.server)]);
    }
  });

  it('closes a tunnel that stays idle, on both sides', async () => {
    const silent = await startSilent();
    const proxy = await startProxy({ idleTimeoutMs: 200 });
    try {
      const tunnel = await openTunnel(proxyUrlFor(proxy.port, UNRESTRICTED), `idle.test:${silent.port}`);
      expect(tunnel.status).toBe(200);
      await closed(tunnel.socket);
      await Promise.all(silent.accepted.map(closed));
      expect(silent.accepted).toHaveLength(1);
      expect(proxy.logs).toContainEqual(expect.objectContaining({ message: 'egress tunnel closed after being idle' }));
    } finally {
      await Promise.all([close(proxy.server), new Promise((resolve) => silent.server.close(resolve))]);
    }
  });

  it('caps the connections one credential holds, and frees a slot when one closes', async () => {
    const silent = await startSilent();
    const proxy = await startProxy({ maxConnectionsPerCredential: 2 });
    const credential = proxyUrlFor(proxy.port, UNRESTRICTED);
    const target = `busy.test:${silent.port}`;
    try {
      const first = await openTunnel(credential, target);
      const second = await openTunnel(credential, target);
      expect([first.status, second.status]).toEqual([200, 200]);
      const third = await openTunnel(credential, target);
      expect(third).toMatchObject({ status: 429, body: expect.stringContaining('already has 2 connections open') });
      expect(proxy.logs).toContainEqual(expect.objectContaining({ message: 'egress refused', details: expect.objectContaining({ reason: 'connections' }) }));

      // Another sandbox's credential is not held back by this one.
      const other = await openTunnel(proxyUrlFor(proxy.port, { type: 'allowed_hosts', allowed_hosts: ['busy.test'] }), target);
      expect(other.status).toBe(200);
      other.socket.destroy();

      first.socket.destroy();
      await Promise.all(silent.accepted.slice(0, 1).map(closed));
      let again = await openTunnel(credential, target);
      // The proxy frees the slot on its side of the close, which may trail the upstream's by a tick.
      while (again.status === 429) again = await openTunnel(credential, target);
      expect(again.status).toBe(200);
      again.socket.destroy();
      second.socket.destroy();
    } finally {
      await Promise.all([close(proxy.server), new Promise((resolve) => silent.server.close(resolve))]);
    }
  });
});
