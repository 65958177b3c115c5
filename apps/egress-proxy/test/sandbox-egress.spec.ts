import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubernetesSandboxProvider, RunnerClient, RunnerError, resolveRunnerInstall, type SandboxSpec } from '@stratus/sandbox';
import { startKubeApiServer, type KubeApiServer } from '@stratus/testing/kube-api-server';
import { close, KEY, startProxy, startUpstream } from './proxy-harness';

/**
 * A sandbox started by the Kubernetes provider (against the API test server) whose HTTP(S)_PROXY
 * points at a real egress proxy: what the model's tools reach, and what it is told when refused.
 */
describe('sandbox egress through the proxy', () => {
  let dir: string;
  let server: KubeApiServer;
  let provider: KubernetesSandboxProvider;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let counter = 0;
  const spec = (networking: SandboxSpec['networking']): SandboxSpec => ({
    sessionId: `sess_egress${process.pid}_${++counter}`,
    workspaceId: 'wksp_egress',
    environmentId: 'env_egress',
    networking,
    environmentVariables: {},
  });

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'egress-e2e-')));
    proxy = await startProxy();
    upstream = await startUpstream();
    server = await startKubeApiServer({ kubelet: { runnerEntry: resolveRunnerInstall().entry, workDir: path.join(dir, 'pods') } });
    provider = new KubernetesSandboxProvider({
      connection: { kubeconfig: server.kubeconfig() },
      namespace: 'stratus-sandboxes',
      runnerImage: 'ghcr.io/stratus/sandbox-runner:test',
      egressProxy: { url: `http://127.0.0.1:${proxy.port}`, signingKey: KEY },
      startTimeoutMs: 10_000,
    });
  });
  afterAll(async () => {
    await provider.shutdown();
    await server.close();
    await close(proxy.server);
    await close(upstream.server);
    await rm(dir, { recursive: true, force: true });
  });

  it('lets the runner fetch an allowed host through the proxy, under the session credential', async () => {
    const s = spec({ type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] });
    const client = RunnerClient.forHandle(await provider.provision(s));
    try {
      const fetched = await client.fetch({ url: `http://api.allowed.test:${upstream.port}/data` });
      expect(fetched).toMatchObject({ status: 200, body: `upstream saw api.allowed.test:${upstream.port} /data` });
      expect(proxy.logs).toContainEqual(expect.objectContaining({ message: 'egress allowed', details: expect.objectContaining({ sessionId: s.sessionId, host: 'api.allowed.test' }) }));
      // The runner refuses a disallowed host itself; the proxy would too.
      await expect(client.fetch({ url: `http://evil.test:${upstream.port}/` })).rejects.toMatchObject({ status: 403, type: 'permission_error' });
    } finally {
      await client.close();
    }
  });

  it('refuses a command that goes around the runner, with the reason where the model sees it', async () => {
    const s = spec({ type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] });
    const client = RunnerClient.forHandle(await provider.provision(s));
    try {
      const before = proxy.logs.length;
      const refused = await client.exec({ command: `curl -sS -w ' HTTP %{http_code}' http://evil.test:${upstream.port}/` });
      expect(refused.stdout).toContain('stratus egress proxy refused evil.test: evil.test is not in this environment\'s allowed hosts (api.allowed.test)');
      expect(refused.stdout).toContain('HTTP 403');
      expect(proxy.logs.slice(before)).toContainEqual(expect.objectContaining({ message: 'egress refused', details: expect.objectContaining({ sessionId: s.sessionId, host: 'evil.test' }) }));
      const allowed = await client.exec({ command: `curl -sS http://api.allowed.test:${upstream.port}/via-curl` });
      expect(allowed.stdout).toBe(`upstream saw api.allowed.test:${upstream.port} /via-curl`);
    } finally {
      await client.close();
    }
  });

  it('gives limited sandboxes the package registries only', async () => {
    const client = RunnerClient.forHandle(await provider.provision(spec({ type: 'limited', allow_package_managers: true })));
    try {
      const registry = await client.exec({ command: `curl -sS http://registry.npmjs.org:${upstream.port}/typescript` });
      expect(registry.stdout).toBe(`upstream saw registry.npmjs.org:${upstream.port} /typescript`);
      const other = await client.exec({ command: `curl -sS http://example.test:${upstream.port}/` });
      expect(other.stdout).toContain('example.test is not one');
    } finally {
      await client.close();
    }
  });

  it('gives networking none no proxy credential at all', async () => {
    const client = RunnerClient.forHandle(await provider.provision(spec({ type: 'none' })));
    try {
      const env = await client.exec({ command: 'env | grep -ci _proxy= || true' });
      expect(env.stdout.trim()).toBe('0');
      await expect(client.fetch({ url: `http://api.allowed.test:${upstream.port}/` })).rejects.toBeInstanceOf(RunnerError);
    } finally {
      await client.close();
    }
  });
});
