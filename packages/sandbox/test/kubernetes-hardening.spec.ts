import type { KubeApiServer, KubeObject } from '@stratus/testing/kube-api-server';
import { SandboxLiveness, SandboxStartError } from '../src';
import { verifyEgressGrant } from '../src/egress';
import { kubeProvider, NAMESPACE, SIGNING_KEY, startCluster } from './kube-harness';
import { eventually, sandboxSpec } from './sandbox-harness';

const SESSION_LABEL = 'stratus.dev/session-id';
let counter = 0;
const kubeSpec = (overrides: Parameters<typeof sandboxSpec>[0] = {}) =>
  sandboxSpec({ sessionId: `sess_hard${String(process.pid).padStart(8, '0')}${String(++counter).padStart(16, '0')}`, ...overrides });

/**
 * What a sandbox pod is given to reach the outside, against the Kubernetes API test server: the proxy
 * by ClusterIP, no cluster DNS, a disk cap, and an install credential that dies with the start.
 */
describe('Kubernetes sandbox hardening', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let server: KubeApiServer;
  const ofSession = (resource: 'jobs' | 'secrets', id: string) => server.store.list(resource, NAMESPACE).filter((o) => o.metadata.labels?.[SESSION_LABEL] === id);
  const secretValue = (secret: KubeObject | undefined, key: string) => {
    const encoded = (secret?.data as Record<string, string> | undefined)?.[key];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  };

  beforeAll(async () => {
    cluster = await startCluster();
    server = cluster.server;
    server.store.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'stratus-egress-proxy', namespace: 'stratus', uid: '', resourceVersion: '', creationTimestamp: '' },
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.42', ports: [{ port: 3128, protocol: 'TCP' }] },
    });
  });
  afterAll(async () => {
    await cluster.remove();
  });

  it('puts the egress proxy Service ClusterIP in the proxy URL, gives the pod no cluster DNS and caps its disk', async () => {
    const provider = kubeProvider(cluster.kubeconfigPath, {
      egressProxy: { url: 'http://stratus-egress-proxy.stratus.svc.cluster.local:3128', signingKey: SIGNING_KEY },
      workspaceSizeLimit: '2Gi',
    });
    try {
      const spec = kubeSpec({ networking: { type: 'allowed_hosts', allowed_hosts: ['api.github.com'] } });
      await provider.provision(spec);
      const [secret] = ofSession('secrets', spec.sessionId);
      const proxyUrl = new URL(secretValue(secret, 'proxy-url')!);
      expect(proxyUrl.host).toBe('10.96.0.42:3128');
      expect(verifyEgressGrant(decodeURIComponent(proxyUrl.password), [SIGNING_KEY]).policy).toEqual(spec.networking);
      expect(server.requests).toContainEqual(expect.objectContaining({ method: 'GET', path: '/api/v1/namespaces/stratus/services/stratus-egress-proxy' }));

      const [job] = ofSession('jobs', spec.sessionId);
      const pod = (job!.spec as any).template.spec;
      expect(pod).toMatchObject({ dnsPolicy: 'None', dnsConfig: { nameservers: ['127.0.0.1'], searches: [] } });
      expect(pod.containers[0].resources.limits['ephemeral-storage']).toBe('2Gi');
      expect(pod.volumes.find((v: any) => v.name === 'workspace').emptyDir).toEqual({ sizeLimit: '2Gi' });

      // The ClusterIP is read once, not per sandbox.
      const reads = () => server.requests.filter((r) => r.path.endsWith('/services/stratus-egress-proxy')).length;
      const before = reads();
      await provider.provision(kubeSpec({ networking: { type: 'limited', allow_package_managers: true } }));
      expect(reads()).toBe(before);
    } finally {
      await provider.shutdown();
    }
  });

  it('refuses to start a proxied sandbox when the proxy Service is missing, and leaves nothing behind', async () => {
    const provider = kubeProvider(cluster.kubeconfigPath, { egressProxy: { url: 'http://missing-proxy.stratus.svc:3128', signingKey: SIGNING_KEY } });
    try {
      const spec = kubeSpec({ networking: { type: 'allowed_hosts', allowed_hosts: ['api.github.com'] } });
      const error = await provider.provision(spec).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SandboxStartError);
      expect(error).toMatchObject({ reason: 'rejected', message: expect.stringContaining('egress proxy Service stratus/missing-proxy does not exist') });
      expect(ofSession('jobs', spec.sessionId)).toEqual([]);
      expect(ofSession('secrets', spec.sessionId)).toEqual([]);
    } finally {
      await provider.shutdown();
    }
  });

  it('gives the install step a registry credential that expires with the start timeout', async () => {
    const provider = kubeProvider(cluster.kubeconfigPath, { startTimeoutMs: 10_000 });
    try {
      const spec = kubeSpec({ networking: { type: 'none' }, packages: { apt: [], pip: ['requests'], npm: [] } });
      const began = Date.now();
      await provider.provision(spec);
      const [secret] = ofSession('secrets', spec.sessionId);
      const credential = decodeURIComponent(new URL(secretValue(secret, 'init-proxy-url')!).password);
      expect(verifyEgressGrant(credential, [SIGNING_KEY], began).policy).toEqual({ type: 'limited', allow_package_managers: true });
      expect(() => verifyEgressGrant(credential, [SIGNING_KEY], Date.now() + 12_000)).toThrow('expired');
      expect(secretValue(secret, 'proxy-url')).toBeUndefined();
    } finally {
      await provider.shutdown();
    }
  });

  it('binds egress credentials to their sandbox: alive while it runs (warm and claimed too), dead once deleted', async () => {
    const environmentId = 'env_hardening0123456789abcdef01234567';
    const provider = kubeProvider(cluster.kubeconfigPath, { warmPool: { sizes: { [environmentId]: 1 } } });
    const liveness = new SandboxLiveness({ connection: { kubeconfigPath: cluster.kubeconfigPath }, namespace: NAMESPACE, cacheMs: 0 });
    try {
      const spec = kubeSpec({ environmentId, networking: { type: 'allowed_hosts', allowed_hosts: ['api.github.com'] } });
      const { sessionId: _, ...template } = spec;
      provider.prewarm(template);
      expect(await eventually(async () => provider.warmSandboxes(environmentId) === 1, 10_000)).toBe(true);
      const handle = await provider.provision(spec);
      expect(handle.warm).toBe(true);

      const [job] = ofSession('jobs', spec.sessionId);
      const secret = server.store.get('secrets', NAMESPACE, job!.metadata.name);
      const grant = verifyEgressGrant(decodeURIComponent(new URL(secretValue(secret, 'proxy-url')!).password), [SIGNING_KEY]);
      expect(grant.sandbox).toEqual({ name: job!.metadata.name, nonce: job!.metadata.annotations?.['stratus.dev/egress-nonce'] });
      expect(await liveness.isAlive(grant.sandbox!)).toBe(true);
      expect(await liveness.isAlive({ ...grant.sandbox!, nonce: 'another-sandbox-of-that-name' })).toBe(false);

      await provider.destroy(spec.sessionId);
      expect(await liveness.isAlive(grant.sandbox!)).toBe(false);
    } finally {
      await provider.shutdown();
    }
  });
});
