import type { KubeApiServer } from '@stratus/testing/kube-api-server';
import { KubernetesSandboxProvider, RunnerClient, SandboxStartError, type SandboxHandle } from '../src';
import { kubeProvider, NAMESPACE, startCluster } from './kube-harness';
import { eventually, pidsWithArgument, sandboxSpec } from './sandbox-harness';

const SESSION_LABEL = 'stratus.dev/session-id';
const sessionId = (n: number) => `sess_${String(process.pid).padStart(8, '0')}${String(n).padStart(24, '0')}`;
let counter = 0;
const kubeSpec = (overrides: Parameters<typeof sandboxSpec>[0] = {}) => sandboxSpec({ sessionId: sessionId(++counter), ...overrides });

describe('KubernetesSandboxProvider against the Kubernetes API test server', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let server: KubeApiServer;
  let provider: KubernetesSandboxProvider;
  const clients: RunnerClient[] = [];
  const connect = (handle: SandboxHandle) => {
    const client = RunnerClient.forHandle(handle);
    clients.push(client);
    return client;
  };
  const objects = (resource: 'jobs' | 'pods' | 'secrets' | 'networkpolicies') => server.store.list(resource, NAMESPACE);
  const ofSession = (resource: 'jobs' | 'pods' | 'secrets', id: string) => objects(resource).filter((o) => o.metadata.labels?.[SESSION_LABEL] === id);

  beforeAll(async () => {
    cluster = await startCluster();
    server = cluster.server;
    provider = kubeProvider(cluster.kubeconfigPath);
    await provider.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await provider.shutdown();
    await cluster.remove();
  });

  it('provisions a Job with its Secret, runs tools at the pod IP, and destroys it all', async () => {
    const spec = kubeSpec({ environmentVariables: { GREETING: 'hello' } });
    const handle = await provider.provision(spec);
    expect(handle.endpoint).toEqual({ baseUrl: expect.stringMatching(/^http:\/\/127\.\d+\.\d+\.\d+:8080$/) });
    const client = connect(handle);
    expect(await client.write({ path: 'notes/a.txt', content: 'sandboxed\n' })).toEqual({ path: 'notes/a.txt', bytes_written: 10 });
    const run = await client.exec({ command: 'cat notes/a.txt; echo "$GREETING"; id -u >/dev/null && echo ran' });
    expect(run).toMatchObject({ exit_code: 0, stdout: 'sandboxed\nhello\nran\n' });

    const [job] = ofSession('jobs', spec.sessionId);
    const [secret] = ofSession('secrets', spec.sessionId);
    const [pod] = ofSession('pods', spec.sessionId);
    expect(job?.metadata.labels).toMatchObject({ 'stratus.dev/workspace-id': spec.workspaceId, 'stratus.dev/environment-id': spec.environmentId });
    expect(secret?.metadata.name).toBe(job?.metadata.name);
    expect(await eventually(async () => ofSession('secrets', spec.sessionId)[0]?.metadata.ownerReferences?.[0]?.uid === job?.metadata.uid, 30_000)).toBe(true);
    expect(Buffer.from((secret!.data as Record<string, string>)['runner-token']!, 'base64').toString()).toBe(handle.token);
    expect(JSON.stringify(job)).not.toContain(handle.token);
    expect(await provider.get(spec.sessionId)).toBe(handle);
    expect(await provider.provision(spec)).toBe(handle);

    const pid = server.kubelet.runnerPid(NAMESPACE, pod!.metadata.name);
    await provider.destroy(spec.sessionId);
    expect(await eventually(async () => ofSession('jobs', spec.sessionId).length + ofSession('pods', spec.sessionId).length + ofSession('secrets', spec.sessionId).length === 0, 30_000)).toBe(true);
    expect(await eventually(async () => (await pidsWithArgument(String(pid))).length === 0 && !processAlive(pid!), 30_000)).toBe(true);
    expect(await provider.get(spec.sessionId)).toBeUndefined();
  });

  it('waits on a watch from the list resourceVersion, not by polling', async () => {
    const before = server.requests.length;
    await provider.provision(kubeSpec());
    const during = server.requests.slice(before);
    // One Secret, one Job, one owner patch, one Secret read at most: no list or get of pods while waiting.
    expect(during.filter((r) => r.method === 'GET' && r.path.endsWith('/pods'))).toEqual([]);
    expect(during.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`/api/v1/namespaces/${NAMESPACE}/secrets`, `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`]);
    const watches = server.requests.filter((r) => r.watch);
    expect(watches.map((w) => w.path)).toEqual(expect.arrayContaining([`/api/v1/namespaces/${NAMESPACE}/pods`, `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`]));
    for (const w of watches) expect(w.query).toMatchObject({ resourceVersion: expect.stringMatching(/^\d+$/), labelSelector: expect.stringContaining('app.kubernetes.io/managed-by=stratus'), allowWatchBookmarks: 'true' });
  });

  it('lets another worker find and use a sandbox it did not start', async () => {
    const spec = kubeSpec();
    const handle = await provider.provision(spec);
    await connect(handle).write({ path: 'from-a.txt', content: 'A' });
    const other = kubeProvider(cluster.kubeconfigPath);
    try {
      const found = await other.get(spec.sessionId);
      expect(found).toMatchObject({ endpoint: handle.endpoint, token: handle.token });
      expect((await connect(found!).read({ path: 'from-a.txt' })).content).toBe('A');
      expect((await other.provision(spec)).token).toBe(handle.token);
    } finally {
      await other.shutdown();
    }
    expect(ofSession('jobs', spec.sessionId)).toHaveLength(1);
  });

  it('starts one sandbox when two workers provision the same session at once', async () => {
    const spec = kubeSpec();
    const other = kubeProvider(cluster.kubeconfigPath);
    try {
      await other.start();
      const [a, b] = await Promise.all([provider.provision(spec), other.provision(spec)]);
      expect(a.token).toBe(b.token);
      expect(a.endpoint).toEqual(b.endpoint);
      expect(ofSession('jobs', spec.sessionId)).toHaveLength(1);
    } finally {
      await other.shutdown();
    }
  });

  it('applies the sandbox NetworkPolicies once and keeps them in step', async () => {
    expect(objects('networkpolicies').map((p) => p.metadata.name).sort()).toEqual(['stratus-sandbox-base', 'stratus-sandbox-egress-proxy', 'stratus-sandbox-egress-unrestricted']);
    const versions = objects('networkpolicies').map((p) => p.metadata.resourceVersion);
    const again = kubeProvider(cluster.kubeconfigPath);
    await again.start();
    expect(objects('networkpolicies').map((p) => p.metadata.resourceVersion)).toEqual(versions);
    const changed = kubeProvider(cluster.kubeconfigPath, { runnerPort: 9090 });
    await changed.start();
    const base = objects('networkpolicies').find((p) => p.metadata.name === 'stratus-sandbox-base')!;
    expect((base.spec as any).ingress[0].ports).toEqual([{ protocol: 'TCP', port: 9090 }]);
    await Promise.all([again.shutdown(), changed.shutdown()]);
    const restore = kubeProvider(cluster.kubeconfigPath);
    await restore.start();
    await restore.shutdown();
  });

  describe('failures become a SandboxStartError with a reason, never a hang', () => {
    const fast = () => kubeProvider(cluster.kubeconfigPath, { startTimeoutMs: 1500 });
    const attempt = async (failure: Parameters<KubeApiServer['kubelet']['failNext']>[0], spec = kubeSpec(), p = provider) => {
      server.kubelet.failNext(failure);
      const began = Date.now();
      const error = await p.provision(spec).then(
        () => undefined,
        (e: unknown) => e,
      );
      return { error: error as SandboxStartError, ms: Date.now() - began, spec };
    };
    const cleanedUp = async (id: string) => eventually(async () => ofSession('jobs', id).length === 0 && ofSession('secrets', id).length === 0, 20_000);

    it('image pull failure', async () => {
      const { error, ms, spec } = await attempt('ImagePullBackOff', kubeSpec({ image: 'registry.example/missing:1' }));
      expect(error).toBeInstanceOf(SandboxStartError);
      expect(error).toMatchObject({ reason: 'image_pull_failed', message: expect.stringContaining('ImagePullBackOff') });
      expect(ms).toBeLessThan(5000);
      expect(await cleanedUp(spec.sessionId)).toBe(true);
    });

    it('unschedulable, reported with the scheduler message when the start times out', async () => {
      const p = fast();
      try {
        const { error, spec } = await attempt('Unschedulable', kubeSpec(), p);
        expect(error).toMatchObject({ reason: 'unschedulable', message: expect.stringContaining('Insufficient memory') });
        expect(await cleanedUp(spec.sessionId)).toBe(true);
      } finally {
        await p.shutdown();
      }
    });

    it('deadline exceeded', async () => {
      const { error, spec } = await attempt('DeadlineExceeded');
      expect(error).toMatchObject({ reason: 'deadline_exceeded', message: expect.stringContaining('maximum lifetime') });
      expect(await cleanedUp(spec.sessionId)).toBe(true);
    });

    it('OOM killed', async () => {
      const { error } = await attempt('OOMKilled');
      expect(error).toMatchObject({ reason: 'oom_killed', message: expect.stringContaining('OOMKilled') });
    });

    it('a failed package install', async () => {
      const { error } = await attempt('InitFailure', kubeSpec({ packages: { apt: ['not-a-package'], pip: [], npm: [] } }));
      expect(error).toMatchObject({ reason: 'runner_failed', message: expect.stringContaining('install-packages failed (Error, exit code 1): E: Unable to locate package') });
    });

    it('a policy that needs the egress proxy when none is configured', async () => {
      const p = kubeProvider(cluster.kubeconfigPath, { egressProxy: undefined });
      try {
        await expect(p.provision(kubeSpec({ networking: { type: 'allowed_hosts', allowed_hosts: ['api.github.com'] } }))).rejects.toMatchObject({
          reason: 'rejected',
          message: expect.stringContaining('needs the egress proxy'),
        });
      } finally {
        await p.shutdown();
      }
    });

    it('an object the API server refuses', async () => {
      await expect(provider.provision(kubeSpec({ resources: { cpu: 'lots', memory: '1Gi' } }))).rejects.toMatchObject({
        reason: 'rejected',
        message: expect.stringMatching(/422 Invalid.*cpu/),
      });
    });
  });

  it('forgets a sandbox that died after it was ready, and provisions a new one next time', async () => {
    const spec = kubeSpec();
    const first = await provider.provision(spec);
    const [pod] = ofSession('pods', spec.sessionId);
    server.kubelet.oomKill(NAMESPACE, pod!.metadata.name);
    expect(await eventually(async () => (await provider.get(spec.sessionId)) === undefined, 30_000)).toBe(true);
    const second = await provider.provision(spec);
    expect(second.token).not.toBe(first.token);
    expect((await connect(second).exec({ command: 'echo again' })).stdout).toBe('again\n');
    expect(ofSession('jobs', spec.sessionId)).toHaveLength(1);
  });

  it('re-provisions after an idle reap: destroy frees the session, the next turn gets a fresh sandbox', async () => {
    const spec = kubeSpec();
    const first = await provider.provision(spec);
    await connect(first).write({ path: 'scratch.txt', content: 'x' });
    await provider.destroy(spec.sessionId); // what the idle-reaping job calls
    expect(await provider.get(spec.sessionId)).toBeUndefined();
    const second = await provider.provision(spec);
    expect(second.token).not.toBe(first.token);
    // A Kubernetes sandbox's workspace is an emptyDir: it goes with the pod.
    await expect(connect(second).read({ path: 'scratch.txt' })).rejects.toMatchObject({ status: 404 });
    await expect(connect(first).health()).rejects.toThrow();
  });

  it('ends a sandbox at its maximum lifetime; Kubernetes then removes the finished Job after its TTL', async () => {
    const p = kubeProvider(cluster.kubeconfigPath, { maxLifetimeSeconds: 1, ttlSecondsAfterFinished: 1 });
    // Recorded as the store changes: the finished Job may be gone (TTL) before a poll would see it.
    const spec = kubeSpec();
    const endings: unknown[] = [];
    const unsubscribe = server.store.subscribe((event) => {
      if (event.resource === 'jobs' && event.object.metadata.labels?.[SESSION_LABEL] === spec.sessionId) endings.push(...(((event.object.status as any)?.conditions ?? []) as unknown[]));
    });
    try {
      // On a loaded machine the runner may not be ready within the 1 s lifetime; the start then fails
      // with the deadline, or finds the Job already removed after it. Either way it never outlives it.
      await p.provision(spec).catch((error: unknown) => expect(error).toMatchObject({ reason: expect.stringMatching(/^(deadline_exceeded|deleted)$/) }));
      expect(await eventually(async () => (await p.get(spec.sessionId)) === undefined, 30_000)).toBe(true);
      expect(await eventually(async () => ofSession('jobs', spec.sessionId).length + ofSession('secrets', spec.sessionId).length === 0, 30_000)).toBe(true);
      expect(endings).toContainEqual(expect.objectContaining({ type: 'Failed', reason: 'DeadlineExceeded' }));
    } finally {
      unsubscribe();
      await p.shutdown();
    }
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
