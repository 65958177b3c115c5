import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubernetesSandboxProvider, RunnerClient, RunnerError, SandboxLiveness, type SandboxSpec } from '@stratus/sandbox';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';
import { startKubeApiServer, type KubeApiServer } from '@stratus/testing/kube-api-server';
import { close, KEY, startProxy, startUpstream } from './proxy-harness';

/** GET an absolute URL through the proxy with a sandbox's HTTP(S)_PROXY value, as curl would (407s included). */
async function getThrough(proxyUrl: string, target: string): Promise<{ status: number; body: string }> {
  const proxy = new URL(proxyUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.hostname, port: Number(proxy.port), path: target, headers: { 'proxy-authorization': authorization } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

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
    server = await startKubeApiServer({ kubelet: { runnerEntry: SANDBOX_RUNNER_ENTRY, workDir: path.join(dir, 'pods') } });
    // No cache: the test sees a deletion at once (deployments reuse an answer for 5 s).
    proxy = await startProxy({ sandboxLiveness: new SandboxLiveness({ connection: { kubeconfig: server.kubeconfig() }, namespace: 'stratus-sandboxes', cacheMs: 0 }) });
    upstream = await startUpstream();
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

  it('makes a sandbox credential useless once its sandbox is deleted, even when the session gets a new one', async () => {
    const s = spec({ type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] });
    const credentialOf = async () => {
      const client = RunnerClient.forHandle(await provider.provision(s));
      try {
        return (await client.exec({ command: 'printenv HTTPS_PROXY' })).stdout.trim();
      } finally {
        await client.close();
      }
    };
    const getWith = (proxyUrl: string) => getThrough(proxyUrl, `http://api.allowed.test:${upstream.port}/after`);
    const first = await credentialOf();
    expect(await getWith(first)).toMatchObject({ status: 200 });
    await provider.destroy(s.sessionId);
    expect(await getWith(first)).toEqual({ status: 407, body: expect.stringContaining('is no longer valid: the sandbox was deleted or has ended') });
    expect(proxy.logs).toContainEqual(expect.objectContaining({ message: 'egress refused', details: expect.objectContaining({ sessionId: s.sessionId, reason: 'sandbox gone' }) }));

    // Same session, same Job name, new sandbox: the old credential stays dead, the new one works.
    const second = await credentialOf();
    expect(second).not.toBe(first);
    expect(await getWith(first)).toMatchObject({ status: 407 });
    expect(await getWith(second)).toMatchObject({ status: 200 });
  });

  it('refuses credentials bound to a sandbox when the proxy cannot check sandboxes', async () => {
    const unchecked = await startProxy();
    try {
      const client = RunnerClient.forHandle(await provider.provision(spec({ type: 'allowed_hosts', allowed_hosts: ['api.allowed.test'] })));
      const credential = new URL((await client.exec({ command: 'printenv HTTPS_PROXY' })).stdout.trim());
      await client.close();
      credential.port = String(unchecked.port);
      expect(await getThrough(credential.href, `http://api.allowed.test:${upstream.port}/`)).toEqual({
        status: 407,
        body: expect.stringContaining('not configured to check sandboxes'),
      });
    } finally {
      await close(unchecked.server);
    }
  });
});
