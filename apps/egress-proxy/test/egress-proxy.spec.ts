import { request } from 'node:http';
import { ProxyAgent, fetch } from 'undici';
import type { Networking } from '@stratus/contracts';
import { isPrivateAddress } from '../src';
import { close, proxyUrlFor, startProxy, startUpstream, tunnelGet, type LogLine } from './proxy-harness';

/** Real HTTP through the proxy on loopback, with undici's ProxyAgent as the client (as the runner's fetch is). */
describe('egress proxy', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;

  beforeAll(async () => {
    proxy = await startProxy();
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await close(proxy.server);
    await close(upstream.server);
  });

  /**
   * GET http://<host>:<upstream>/x through the proxy: forwarded in absolute form by undici's ProxyAgent
   * (the runner's fetch client), or through a CONNECT tunnel opened by hand, so a refused tunnel's
   * status and body can be read as curl would show them.
   */
  const get = async (host: string, policy: Networking, mode: 'connect' | 'forward', proxyUrl = proxyUrlFor(proxy.port, policy)) => {
    if (mode === 'forward') {
      const agent = new ProxyAgent({ uri: proxyUrl, proxyTunnel: false });
      try {
        const response = await fetch(`http://${host}:${upstream.port}/x`, { dispatcher: agent });
        return { status: response.status, body: await response.text() };
      } finally {
        await agent.close();
      }
    }
    return tunnelGet(proxyUrl, host, upstream.port);
  };
  const refusals = () => proxy.logs.filter((l: LogLine) => l.message === 'egress refused');

  describe.each(['forward', 'connect'] as const)('%s', (mode) => {
    it('lets an allowed host through, exact or by wildcard', async () => {
      const policy: Networking = { type: 'allowed_hosts', allowed_hosts: ['api.allowed.test', '*.cdn.test'] };
      expect(await get('api.allowed.test', policy, mode)).toEqual({ status: 200, body: `upstream saw api.allowed.test:${upstream.port} /x` });
      expect(await get('eu.cdn.test', policy, mode)).toMatchObject({ status: 200 });
    });

    it('refuses a host outside the list with 403 and the reason, and logs it', async () => {
      const before = refusals().length;
      const policy: Networking = { type: 'allowed_hosts', allowed_hosts: ['api.allowed.test', '*.cdn.test'] };
      for (const host of ['evil.test', 'cdn.test', 'api.allowed.test.evil.test']) {
        const result = await get(host, policy, mode);
        expect(result.status).toBe(403);
        expect(result.body).toContain(`stratus egress proxy refused ${host}: ${host} is not in this environment's allowed hosts`);
      }
      expect(refusals().slice(before)).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ sessionId: 'sess_test', host: 'evil.test', kind: mode }) }),
        expect.objectContaining({ details: expect.objectContaining({ host: 'cdn.test' }) }),
        expect.objectContaining({ details: expect.objectContaining({ host: 'api.allowed.test.evil.test' }) }),
      ]);
      expect(upstream.hosts).not.toContain(`evil.test:${upstream.port}`);
    });

    it('lets limited + allow_package_managers reach package registries only', async () => {
      const policy: Networking = { type: 'limited', allow_package_managers: true };
      expect(await get('registry.npmjs.org', policy, mode)).toMatchObject({ status: 200 });
      expect(await get('pypi.org', policy, mode)).toMatchObject({ status: 200 });
      expect(await get('example.test', policy, mode)).toMatchObject({ status: 403, body: expect.stringContaining('example.test is not one') });
      expect(await get('registry.npmjs.org', { type: 'limited', allow_package_managers: false }, mode)).toMatchObject({
        status: 403,
        body: expect.stringContaining('package managers are not allowed'),
      });
    });
  });

  it('answers 407 without credentials or with forged, foreign-key or expired ones', async () => {
    const policy: Networking = { type: 'unrestricted' };
    const forward = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string; authenticate?: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxy.port, path: `http://api.allowed.test:${upstream.port}/x`, headers }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, authenticate: res.headers['proxy-authenticate'] }));
        });
        req.on('error', reject);
        req.end();
      });
    const basic = (url: string) => {
      const u = new URL(url);
      return { 'proxy-authorization': `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` };
    };
    const valid = proxyUrlFor(proxy.port, policy);
    expect(await forward(basic(valid))).toMatchObject({ status: 200 });
    expect(await forward({})).toMatchObject({ status: 407, authenticate: 'Basic realm="stratus-egress"' });
    const forged = new URL(valid);
    forged.password = forged.password.replace(/\.[^.]+$/, '.AAAA');
    expect(await forward(basic(forged.href))).toMatchObject({ status: 407, body: expect.stringContaining('signature does not verify') });
    expect(await forward(basic(proxyUrlFor(proxy.port, policy, 'another-deployment-key-0123456789abcdef')))).toMatchObject({ status: 407 });
    expect(await forward(basic(proxyUrlFor(proxy.port, policy, undefined, Math.floor(Date.now() / 1000) - 1)))).toMatchObject({
      status: 407,
      body: expect.stringContaining('expired'),
    });
  });

  it('refuses allowed names that resolve to private addresses unless told otherwise', async () => {
    const strict = await startProxy({ allowPrivateAddresses: false });
    try {
      const policy: Networking = { type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] };
      const agent = new ProxyAgent({ uri: proxyUrlFor(strict.port, policy), proxyTunnel: false });
      const response = await fetch(`http://api.allowed.test:${upstream.port}/`, { dispatcher: agent });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('resolves to a private address (127.0.0.1)');
      await agent.close();
    } finally {
      await close(strict.server);
    }
    expect(['10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '127.0.0.1', '::1', 'fd00::1', '::ffff:10.0.0.1'].filter(isPrivateAddress)).toHaveLength(8);
    expect(['8.8.8.8', '2606:4700::1111', '1.1.1.1'].some(isPrivateAddress)).toBe(false);
  });

  it('tunnels for undici, as the runner fetch uses it for https', async () => {
    const agent = new ProxyAgent({ uri: proxyUrlFor(proxy.port, { type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] }), proxyTunnel: true });
    try {
      const response = await fetch(`http://api.allowed.test:${upstream.port}/tunnelled`, { dispatcher: agent });
      expect(await response.text()).toBe(`upstream saw api.allowed.test:${upstream.port} /tunnelled`);
    } finally {
      await agent.close();
    }
    expect(proxy.logs).toContainEqual(expect.objectContaining({ message: 'egress allowed', details: expect.objectContaining({ kind: 'connect', host: 'api.allowed.test' }) }));
  });

  it('only tunnels to the configured ports', async () => {
    const strict = await startProxy({ connectPorts: [443] });
    try {
      const result = await tunnelGet(proxyUrlFor(strict.port, { type: 'unrestricted' }), 'api.allowed.test', upstream.port);
      expect(result).toMatchObject({ status: 403, body: expect.stringContaining('tunnels may only use port 443') });
      expect(strict.logs).toContainEqual(expect.objectContaining({ message: 'egress refused', details: expect.objectContaining({ reason: 'port' }) }));
    } finally {
      await close(strict.server);
    }
  });
});
