import { chmod, mkdtemp, realpath, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Networking } from '@stratus/contracts';
import { LocalSandboxProvider, RunnerClient, type SandboxSpec } from '@stratus/sandbox';
import { createEgressProxy, listenOnUnixSocket } from '../src';
import { close, KEY, loopbackResolver, startUpstream, type LogLine } from './proxy-harness';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

/**
 * Local (bubblewrap) sandboxes whose only way out is the worker's egress proxy on a Unix socket,
 * bridged by the runner to a loopback port inside the sandbox's own network namespace. The proxy
 * is told (test only) that *.test names resolve to loopback and that private addresses may be
 * reached, so an allowed and a refused host can both be real servers on this machine.
 */
describe('local sandbox egress through the proxy socket', () => {
  let dir: string;
  let proxy: Server;
  const logs: LogLine[] = [];
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let provider: LocalSandboxProvider;
  let counter = 0;
  const clients: RunnerClient[] = [];
  const spec = (networking: Networking): SandboxSpec => ({
    sessionId: `sess_local${process.pid}_${++counter}`,
    workspaceId: 'wksp_local',
    environmentId: 'env_local',
    networking,
    environmentVariables: {},
  });
  const open = async (networking: Networking) => {
    const s = spec(networking);
    const client = RunnerClient.forHandle(await provider.provision(s));
    clients.push(client);
    return { client, sessionId: s.sessionId };
  };

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'egl-')));
    await chmod(dir, 0o711); // sandboxes run as uids of their own and must pass through to their directories
    proxy = createEgressProxy({
      signingKeys: [KEY],
      connectPorts: 'any',
      // The test's upstream listens on a random port, not 80.
      forwardPorts: 'any',
      allowPrivateAddresses: true,
      resolver: loopbackResolver,
      logger: {
        info: (details, message) => logs.push({ level: 'info', details, message }),
        warn: (details, message) => logs.push({ level: 'warn', details, message }),
      },
    });
    await listenOnUnixSocket(proxy, path.join(dir, 'egress.sock'));
    upstream = await startUpstream();
    provider = new LocalSandboxProvider({
      baseDir: path.join(dir, 's'),
      owner: 'egress-test',
      runnerEntry: SANDBOX_RUNNER_ENTRY,
      isolation: 'bwrap',
      egressProxy: { socketPath: path.join(dir, 'egress.sock'), signingKey: KEY },
      logger: { warn: () => undefined },
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await provider.shutdown();
    await close(proxy);
    await close(upstream.server);
    await rm(dir, { recursive: true, force: true });
  });

  it('under allowed_hosts: curl reaches a permitted host through the proxy, a refused one gets 403, a direct connect fails', async () => {
    const { client, sessionId } = await open({ type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] });
    const allowed = await client.exec({ command: `curl -sS http://api.allowed.test:${upstream.port}/via-curl` });
    expect(allowed.stdout).toBe(`upstream saw api.allowed.test:${upstream.port} /via-curl`);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'egress allowed', details: expect.objectContaining({ sessionId, host: 'api.allowed.test' }) }));

    // Through a CONNECT tunnel, as HTTPS goes.
    const tunnelled = await client.exec({ command: `curl -sS --proxytunnel http://api.allowed.test:${upstream.port}/tunnel` });
    expect(tunnelled.stdout).toBe(`upstream saw api.allowed.test:${upstream.port} /tunnel`);

    const refused = await client.exec({ command: `curl -sS -w ' HTTP %{http_code}' http://evil.test:${upstream.port}/` });
    expect(refused.stdout).toContain("evil.test is not in this environment's allowed hosts");
    expect(refused.stdout).toContain('HTTP 403');

    const direct = await client.exec({ command: `curl -sS --noproxy '*' --max-time 3 http://127.0.0.1:${upstream.port}/direct; exec 3<>/dev/tcp/127.0.0.1/${upstream.port} && echo connected` });
    expect(direct.exit_code).not.toBe(0);
    expect(direct.stdout).toBe('');
    expect(upstream.hosts).not.toContain(`127.0.0.1:${upstream.port}`);
  });

  it("sends the runner's own fetch through the proxy too", async () => {
    const { client, sessionId } = await open({ type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] });
    const before = logs.length;
    const fetched = await client.fetch({ url: `http://api.allowed.test:${upstream.port}/data` });
    expect(fetched).toMatchObject({ status: 200, body: `upstream saw api.allowed.test:${upstream.port} /data` });
    expect(logs.slice(before)).toContainEqual(expect.objectContaining({ message: 'egress allowed', details: expect.objectContaining({ sessionId, kind: 'forward' }) }));
  });

  it('gives unrestricted and limited sandboxes their policy through the same proxy', async () => {
    const unrestricted = await open({ type: 'unrestricted' });
    expect((await unrestricted.client.exec({ command: `curl -sS http://anything.test:${upstream.port}/open` })).stdout).toBe(`upstream saw anything.test:${upstream.port} /open`);
    const limited = await open({ type: 'limited', allow_package_managers: true });
    expect((await limited.client.exec({ command: `curl -sS http://registry.npmjs.org:${upstream.port}/typescript` })).stdout).toBe(`upstream saw registry.npmjs.org:${upstream.port} /typescript`);
    expect((await limited.client.exec({ command: `curl -sS http://example.test:${upstream.port}/` })).stdout).toContain('example.test is not one');
  });

  it('gives networking none neither proxy settings nor the proxy socket', async () => {
    const { client } = await open({ type: 'none' });
    expect((await client.exec({ command: 'env | grep -ci _proxy= || true; ls /opt/stratus' })).stdout).toBe('0\nbin\nrun\nrunner\n');
    const curl = await client.exec({ command: `curl -sS --max-time 3 -x http://127.0.0.1:1 http://api.allowed.test:${upstream.port}/` });
    expect(curl.exit_code).not.toBe(0);
  });
});
