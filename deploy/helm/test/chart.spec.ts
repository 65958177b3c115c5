import { loadConfig } from '@stratus/egress-proxy';
import { kubernetesOptionsFromEnv, parseSandboxEnv } from '@stratus/sandbox';
import { describeWithHelm, podSpec, render, validateSchema, type Manifest } from './render';

const COMPONENTS = ['api', 'gateway', 'worker', 'egress-proxy', 'migrations'];
const component = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/component'];
const workloads = (all: Manifest[]) => all.filter((m) => m.kind === 'Deployment' || m.kind === 'Job');

/** A container's env as the kubelet would give it, with every secretKeyRef replaced by a stand-in value. */
function envOf(container: Record<string, any>): Record<string, string> {
  return Object.fromEntries(
    (container.env ?? []).map((e: any) => [e.name, e.value ?? (e.valueFrom?.secretKeyRef ? `secret-${e.valueFrom.secretKeyRef.name}-${e.valueFrom.secretKeyRef.key}-0123456789abcdef0123456789` : '')]),
  );
}

describeWithHelm('the Helm chart, rendered with helm', () => {
  // A skipped suite's body still runs to collect its tests: render nothing then.
  const manifests = render();
  const find = (kind: string, comp: string) => manifests.filter((m) => m.kind === kind && component(m) === comp);

  it('renders only objects that validate against the Kubernetes schemas', async () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const manifest of manifests) await expect(validateSchema(manifest)).resolves.toBeUndefined();
  });

  it('has one workload per component, the migrations as a pre-install/upgrade hook Job', () => {
    expect(workloads(manifests).map(component).sort()).toEqual([...COMPONENTS].sort());
    const [migrations] = find('Job', 'migrations');
    expect(migrations?.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade' });
    expect(podSpec(migrations!).containers[0].command).toEqual(['node', 'packages/db/dist/migrate-cli.js']);
    for (const server of ['api', 'gateway', 'worker']) expect(envOf(podSpec(find('Deployment', server)[0]!).containers[0]).MIGRATE_ON_START).toBe('false');
  });

  it('runs every pod non-root with a read-only root filesystem, no capabilities and RuntimeDefault seccomp', () => {
    for (const workload of workloads(manifests)) {
      const pod = podSpec(workload);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(container.resources.limits).toBeDefined();
      }
    }
  });

  it('gives only the worker and the egress proxy Kubernetes API access, each to the few objects it needs', () => {
    expect(manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding')).toEqual([]);
    const roles = manifests.filter((m) => m.kind === 'Role');
    const bindings = manifests.filter((m) => m.kind === 'RoleBinding');
    expect(roles).toHaveLength(3);
    expect(bindings).toHaveLength(3);
    const accountOf = (comp: string) => ({ kind: 'ServiceAccount', name: find('ServiceAccount', comp)[0]!.metadata.name, namespace: 'stratus' });
    const granted = (comp: string) =>
      bindings
        .filter((b) => b.subjects.some((s: any) => s.name === accountOf(comp).name))
        .map((b) => {
          const role = roles.find((r) => r.metadata.name === b.roleRef.name && r.metadata.namespace === b.metadata.namespace)!;
          expect(b.subjects).toEqual([accountOf(comp)]);
          return { namespace: role.metadata.namespace ?? 'stratus', rules: role.rules };
        });
    const [proxyService] = find('Service', 'egress-proxy');
    expect(granted('worker')).toEqual(
      expect.arrayContaining([
        {
          namespace: 'stratus-sandboxes',
          rules: [
            { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'] },
            { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
            { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'list', 'patch', 'delete'] },
            { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create', 'get', 'update'] },
          ],
        },
        { namespace: 'stratus', rules: [{ apiGroups: [''], resources: ['services'], resourceNames: [proxyService!.metadata.name], verbs: ['get'] }] },
      ]),
    );
    expect(granted('worker')).toHaveLength(2);
    expect(granted('egress-proxy')).toEqual([{ namespace: 'stratus-sandboxes', rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] }] }]);
    const withToken = ['worker', 'egress-proxy'];
    for (const workload of workloads(manifests)) {
      const mounts = podSpec(workload).automountServiceAccountToken;
      expect([component(workload), mounts]).toEqual([component(workload), withToken.includes(component(workload)!)]);
    }
    for (const account of manifests.filter((m) => m.kind === 'ServiceAccount')) expect(account.automountServiceAccountToken).toBe(component(account) === 'worker' ? undefined : false);
  });

  it('configures the worker so that its sandbox provider parses it and its NetworkPolicies select the chart pods', () => {
    const worker = podSpec(find('Deployment', 'worker')[0]!).containers[0];
    const env = parseSandboxEnv(envOf(worker));
    expect(env).toMatchObject({ STRATUS_SANDBOX_PROVIDER: 'kubernetes', STRATUS_SANDBOX_NAMESPACE: 'stratus-sandboxes', STRATUS_SANDBOX_CONTROL_NAMESPACE: 'stratus' });
    expect(env.STRATUS_SANDBOX_RUNNER_IMAGE).toMatch(/^ghcr\.io\/stratus\/sandbox-runner:/);
    const options = kubernetesOptionsFromEnv(env);
    if (options.networkPolicies === false || options.networkPolicies === undefined) throw new Error('policies should be managed');
    const selects = (selector: Record<string, string>, m: Manifest) => Object.entries(selector).every(([k, v]) => m.spec.template.metadata.labels[k] === v);
    expect(selects(options.networkPolicies.workers!.podLabels, find('Deployment', 'worker')[0]!)).toBe(true);
    const proxy = find('Deployment', 'egress-proxy')[0]!;
    expect(selects(options.networkPolicies.egressProxy!.podLabels, proxy)).toBe(true);
    const [proxyService] = find('Service', 'egress-proxy');
    expect(env.STRATUS_EGRESS_PROXY_URL).toBe(`http://${proxyService!.metadata.name}.stratus.svc:${proxyService!.spec.ports[0].port}`);
    expect(options.workspaceSizeLimit).toBe('10Gi');
    // No limits on environments unless the values set them.
    const apiEnv = envOf(podSpec(find('Deployment', 'api')[0]!).containers[0]);
    expect(Object.keys(apiEnv).filter((name) => /ALLOWED_IMAGES|ENVIRONMENT_MAX/.test(name))).toEqual([]);
    expect(options.networkPolicies.egressProxy!.port).toBe(proxy.spec.template.spec.containers[0].ports[0].containerPort);
  });

  it('configures the egress proxy so that it parses, with the signing key the worker signs with', () => {
    const proxy = podSpec(find('Deployment', 'egress-proxy')[0]!).containers[0];
    const worker = podSpec(find('Deployment', 'worker')[0]!).containers[0];
    const config = loadConfig(envOf(proxy));
    expect(config).toMatchObject({
      port: 3128,
      connectPorts: [443],
      forwardPorts: [80],
      idleTimeoutMs: 300_000,
      maxConnectionsPerCredential: 64,
      allowPrivateAddresses: false,
      sandboxCheck: { namespace: 'stratus-sandboxes', cacheMs: 5000 },
    });
    expect(config.signingKeys).toEqual([envOf(worker).STRATUS_EGRESS_PROXY_SIGNING_KEY]);
    const [secret] = find('Secret', 'egress-proxy');
    expect(Buffer.from(secret!.data['signing-key'], 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    const [policy] = find('NetworkPolicy', 'egress-proxy');
    expect(policy!.spec.ingress[0].from[0]).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'stratus-sandboxes' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/component': 'sandbox', 'stratus.dev/egress': 'proxy' } },
    });
  });

  it('gives sandboxes a namespace of their own that enforces the restricted Pod Security Standard, with a quota', () => {
    const [namespace] = manifests.filter((m) => m.kind === 'Namespace');
    expect(namespace!.metadata).toMatchObject({ name: 'stratus-sandboxes', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } });
    expect(manifests.find((m) => m.kind === 'ResourceQuota')?.metadata.namespace).toBe('stratus-sandboxes');
  });

  it('follows its values: runtime class, warm pool, external NetworkPolicies, an existing proxy key, another sandbox namespace', () => {
    const custom = render({
      'sandbox.runtimeClassName': 'gvisor',
      'sandbox.warmPool.env_abc': '2',
      'sandbox.networkPolicies': 'external',
      'sandbox.namespace': 'agent-sandboxes',
      'egressProxy.existingSecret': 'my-egress-key',
      'global.imageTag': '1.2.3',
      'sandbox.diskLimit': '20Gi',
      'sandbox.allowedImages': 'ghcr.io/acme/*',
      'sandbox.maxCpu': '4',
      'sandbox.maxMemory': '8Gi',
    });
    const api = custom.find((m) => m.kind === 'Deployment' && component(m) === 'api')!;
    expect(envOf(podSpec(api).containers[0])).toMatchObject({ STRATUS_SANDBOX_ALLOWED_IMAGES: 'ghcr.io/acme/*', STRATUS_ENVIRONMENT_MAX_CPU: '4', STRATUS_ENVIRONMENT_MAX_MEMORY: '8Gi' });
    const proxy = custom.find((m) => m.kind === 'Deployment' && component(m) === 'egress-proxy')!;
    expect(loadConfig(envOf(podSpec(proxy).containers[0])).sandboxCheck?.namespace).toBe('agent-sandboxes');
    const worker = custom.find((m) => m.kind === 'Deployment' && component(m) === 'worker')!;
    const env = envOf(podSpec(worker).containers[0]);
    expect(parseSandboxEnv(env)).toMatchObject({
      STRATUS_SANDBOX_RUNTIME_CLASS: 'gvisor',
      STRATUS_SANDBOX_WARM_POOL: { env_abc: 2 },
      STRATUS_SANDBOX_NETWORK_POLICIES: 'external',
      STRATUS_SANDBOX_NAMESPACE: 'agent-sandboxes',
      STRATUS_SANDBOX_DISK_LIMIT: '20Gi',
    });
    expect(podSpec(worker).containers[0].image).toBe('ghcr.io/stratus/worker:1.2.3');
    const role = custom.find((m) => m.kind === 'Role' && m.rules.some((r: any) => r.verbs.includes('create')))!;
    expect(role.metadata.namespace).toBe('agent-sandboxes');
    expect(role.rules.flatMap((r: any) => r.resources)).not.toContain('networkpolicies');
    expect(custom.filter((m) => m.kind === 'Secret')).toEqual([]);
    expect(podSpec(worker).containers[0].env.find((e: any) => e.name === 'STRATUS_EGRESS_PROXY_SIGNING_KEY').valueFrom.secretKeyRef.name).toBe('my-egress-key');
  });
});
