import type { KubeApiServer } from '@stratus/testing/kube-api-server';
import { RunnerClient, templateDigest, type SandboxSpec } from '../src';
import { kubeProvider, NAMESPACE, startCluster } from './kube-harness';
import { eventually, sandboxSpec } from './sandbox-harness';

const ENVIRONMENT = 'env_0123456789abcdef0123456789abcdef';
let counter = 0;
const spec = (overrides: Partial<SandboxSpec> = {}) =>
  sandboxSpec({ sessionId: `sess_lifecycle${process.pid}_${++counter}`, environmentId: ENVIRONMENT, environmentVariables: { MODE: 'warm' }, ...overrides });

describe('Kubernetes sandbox lifecycle: warm pool and reconciliation', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let server: KubeApiServer;
  const jobs = () => server.store.list('jobs', NAMESPACE);
  const warmJobs = () => jobs().filter((j) => j.metadata.labels?.['stratus.dev/warm'] === 'true');

  beforeEach(async () => {
    cluster = await startCluster();
    server = cluster.server;
  });
  afterEach(async () => {
    await cluster.remove();
  });

  it('claims a pre-started sandbox of the same template, relabels it for the session and refills the pool', async () => {
    const provider = kubeProvider(cluster.kubeconfigPath, { warmPool: { sizes: { [ENVIRONMENT]: 1 } } });
    try {
      const { sessionId: _, ...template } = spec();
      provider.prewarm(template);
      expect(await eventually(async () => provider.warmSandboxes(ENVIRONMENT) === 1, 30_000)).toBe(true);
      expect((await provider.list()).filter((s) => s.warm)).toEqual([expect.objectContaining({ state: 'running', environmentId: ENVIRONMENT, sessionId: undefined })]);
      const [warm] = warmJobs();
      expect(warm?.metadata.labels).toMatchObject({ 'stratus.dev/template': templateDigest(template), 'stratus.dev/environment-id': ENVIRONMENT });
      expect(warm?.metadata.labels?.['stratus.dev/session-id']).toBeUndefined();

      const session = spec();
      const handle = await provider.provision(session);
      expect(handle.warm).toBe(true);
      const claimed = server.store.get('jobs', NAMESPACE, warm!.metadata.name)!;
      expect(claimed.metadata.labels).toMatchObject({ 'stratus.dev/session-id': session.sessionId });
      expect(claimed.metadata.labels?.['stratus.dev/warm']).toBeUndefined();
      const pod = server.store.list('pods', NAMESPACE).find((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === warm!.metadata.name)!;
      expect(pod.metadata.labels?.['stratus.dev/session-id']).toBe(session.sessionId);
      const client = RunnerClient.forHandle(handle);
      expect((await client.exec({ command: 'echo $MODE' })).stdout).toBe('warm\n');
      await client.close();
      // Another worker finds it by its session label.
      const other = kubeProvider(cluster.kubeconfigPath);
      expect((await other.get(session.sessionId))?.token).toBe(handle.token);
      await other.shutdown();

      expect(await eventually(async () => provider.warmSandboxes(ENVIRONMENT) === 1 && warmJobs()[0]!.metadata.name !== warm!.metadata.name, 30_000)).toBe(true);
      // A different template (an edited environment) is never served from the pool.
      const edited = await provider.provision(spec({ environmentVariables: { MODE: 'edited' } }));
      expect(edited.warm).toBeUndefined();
    } finally {
      await provider.shutdown();
    }
    // Shutdown destroys the warm sandboxes it held, not the sessions' ones.
    expect(await eventually(async () => warmJobs().length === 0, 30_000)).toBe(true);
    expect(jobs().filter((j) => j.metadata.labels?.['stratus.dev/session-id'] !== undefined).length).toBeGreaterThan(0);
  });

  it('reconciles after a worker crash: sandboxes of gone sessions, finished Jobs and abandoned warm ones go, live ones stay', async () => {
    const crashed = kubeProvider(cluster.kubeconfigPath, { warmPool: { sizes: { [ENVIRONMENT]: 1 } } });
    const live = spec();
    const gone = spec();
    await crashed.provision(live);
    await crashed.provision(gone);
    expect(await eventually(async () => crashed.warmSandboxes(ENVIRONMENT) === 1, 30_000)).toBe(true);
    const finished = spec({ environmentId: 'env_other' });
    await crashed.provision(finished);
    const [finishedPod] = server.store.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.['stratus.dev/session-id'] === finished.sessionId);
    server.kubelet.oomKill(NAMESPACE, finishedPod!.metadata.name);
    expect(await eventually(async () => (await crashed.list()).some((s) => s.sessionId === finished.sessionId && s.state === 'finished'), 30_000)).toBe(true);
    // The worker dies without shutting down: its watches stop, its sandboxes and warm pool stay behind.

    const survivor = kubeProvider(cluster.kubeconfigPath, { warmPool: { sizes: {}, maxIdleMs: 1 } });
    try {
      const asked: string[][] = [];
      const report = await survivor.reconcile({
        liveSessions: async (ids) => {
          asked.push([...ids]);
          return new Set(ids.filter((id) => id !== gone.sessionId));
        },
      });
      expect(asked[0]).toEqual(expect.arrayContaining([live.sessionId, gone.sessionId, finished.sessionId]));
      expect(report.destroyed).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ sessionId: gone.sessionId, reason: 'session_gone' }),
          expect.objectContaining({ sessionId: finished.sessionId, reason: 'finished' }),
          expect.objectContaining({ reason: 'stale_warm' }),
        ]),
      );
      expect(report.destroyed.map((d) => d.sessionId)).not.toContain(live.sessionId);
      expect(await eventually(async () => server.store.list('pods', NAMESPACE).every((p) => p.metadata.labels?.['stratus.dev/session-id'] === live.sessionId), 30_000)).toBe(true);
      expect((await survivor.list()).map((s) => s.sessionId)).toEqual([live.sessionId]);
      expect((await survivor.get(live.sessionId))?.endpoint).toBeDefined();
    } finally {
      await survivor.shutdown();
      await crashed.shutdown();
    }
  });
});
