import { SessionTurnProducer } from '@stratus/queues';
import { TEST_REDIS_URL, testRedisPrefix } from '@stratus/testing';
import { Redis } from 'ioredis';
import { CHART, describeWithHelm, helm, PRODUCTION_VALUES, podSpec, render, validateSchema, type Manifest } from './render';

const component = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/component'];
const SERVERS = ['api', 'gateway', 'worker', 'egress-proxy'];
const containerNamed = (m: Manifest, port: string) => podSpec(m).containers[0].ports?.find((p: { name: string }) => p.name === port);
const envOf = (m: Manifest): Record<string, string | undefined> => Object.fromEntries(podSpec(m).containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

const RENDERINGS: Array<[string, () => Manifest[]]> = [
  ['default values', () => render()],
  ['values-production.yaml', () => render({}, 'stratus', [PRODUCTION_VALUES])],
];

describeWithHelm.each(RENDERINGS)('the chart rendered with %s', (_name, renderIt) => {
  const manifests = renderIt();
  const find = (kind: string, comp?: string) => manifests.filter((m) => m.kind === kind && (comp === undefined || component(m) === comp));
  const deployments = find('Deployment');

  it('passes helm lint --strict', () => {
    const args = _name === 'default values' ? [] : ['--values', PRODUCTION_VALUES];
    expect(helm(['lint', CHART, '--strict', ...args])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders only objects valid against the Kubernetes, KEDA and prometheus-operator schemas', async () => {
    for (const manifest of manifests) await expect(validateSchema(manifest)).resolves.toBeUndefined();
  });

  it('runs every container non-root, read-only, without capabilities, with limits', () => {
    for (const workload of [...deployments, ...find('Job')]) {
      const pod = podSpec(workload);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(container.securityContext.capabilities.add).toBeUndefined();
        expect(container.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      }
    }
  });

  it('probes every Deployment, the worker included: startup, liveness and readiness on a declared port', () => {
    expect(deployments.map(component).sort()).toEqual([...SERVERS].sort());
    for (const deployment of deployments) {
      const container = podSpec(deployment).containers[0];
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const port = container[probe]?.httpGet?.port;
        expect([component(deployment), probe, container.ports.some((p: { name: string }) => p.name === port)]).toEqual([component(deployment), probe, true]);
      }
    }
    for (const server of ['api', 'gateway', 'worker']) {
      const [deployment] = find('Deployment', server);
      const container = podSpec(deployment!).containers[0];
      // The apps serve /healthz and /readyz on PORT (the shared HTTP set-up).
      expect(containerNamed(deployment!, 'http')!.containerPort).toBe(Number(envOf(deployment!).PORT));
      expect([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path, container.startupProbe.httpGet.path]).toEqual(['/healthz', '/readyz', '/healthz']);
    }
  });

  it('gives every server an internal metrics port (9464) on its Service, apart from the public one', () => {
    for (const server of SERVERS) {
      const [deployment] = find('Deployment', server);
      expect(containerNamed(deployment!, 'metrics')).toEqual({ name: 'metrics', containerPort: 9464 });
      expect(envOf(deployment!).STRATUS_METRICS_PORT).toBe('9464');
      const [service] = find('Service', server);
      expect(service!.spec.ports).toContainEqual({ name: 'metrics', port: 9464, targetPort: 'metrics' });
      expect(selects(service!.spec.selector, deployment!.spec.template.metadata.labels)).toBe(true);
    }
  });

  it('keeps the Kubernetes API to the worker and the proxy (reading Jobs), in the sandbox namespace only', () => {
    expect(manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding')).toEqual([]);
    const inSandboxes = find('Role').filter((r) => r.metadata.namespace === 'stratus-sandboxes');
    expect(inSandboxes.map((r) => component(r)).sort()).toEqual(['egress-proxy', 'worker']);
    for (const role of inSandboxes) {
      const verbs = role.rules.flatMap((rule: { verbs: string[] }) => rule.verbs);
      for (const forbidden of ['*', 'escalate', 'bind', 'impersonate']) expect(verbs).not.toContain(forbidden);
      expect(role.rules.flatMap((rule: { resources: string[] }) => rule.resources)).not.toContain('pods/exec');
    }
    // The proxy only reads whether a credential's sandbox Job still runs.
    const proxyRole = inSandboxes.find((r) => component(r) === 'egress-proxy')!;
    expect(proxyRole.rules).toEqual([{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] }]);
    const withToken = (name: string) => name === 'worker' || name === 'egress-proxy';
    for (const deployment of deployments) expect([component(deployment), podSpec(deployment).automountServiceAccountToken]).toEqual([component(deployment), withToken(component(deployment)!)]);
  });

  it('denies all traffic in the sandbox namespace by default, before any worker runs', () => {
    const policies = find('NetworkPolicy').filter((p) => p.metadata.namespace === 'stratus-sandboxes');
    expect(policies).toHaveLength(1);
    expect(policies[0]!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // Not a hook: it is applied with the namespace, in the same install, ahead of the worker's first sandbox.
    expect(policies[0]!.metadata.annotations?.['helm.sh/hook']).toBeUndefined();
  });

  it('gives every server a PodDisruptionBudget that selects its pods and still lets one go', () => {
    for (const server of SERVERS) {
      const [budget] = find('PodDisruptionBudget', server);
      const [deployment] = find('Deployment', server);
      expect(budget!.spec.maxUnavailable).toBe(1);
      expect(selects(budget!.spec.selector.matchLabels, deployment!.spec.template.metadata.labels)).toBe(true);
    }
  });

  it('scales the api and the gateway on CPU with an HPA that targets their Deployment, which leaves replicas to it', () => {
    for (const server of ['api', 'gateway']) {
      const [hpa] = find('HorizontalPodAutoscaler', server);
      const [deployment] = find('Deployment', server);
      expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment!.metadata.name });
      expect(hpa!.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
      expect(deployment!.spec.replicas).toBeUndefined();
    }
  });
});

describeWithHelm('the chart’s production values', () => {
  const manifests = render({}, 'stratus', [PRODUCTION_VALUES]);

  it('spreads every server over zones and nodes and keeps its replicas on different nodes when it can', () => {
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      const pod = podSpec(deployment);
      const own = deployment.spec.selector.matchLabels;
      expect(pod.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      for (const constraint of pod.topologySpreadConstraints) expect(constraint.labelSelector.matchLabels).toEqual(own);
      const [term] = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      expect(term.podAffinityTerm).toEqual({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: own } });
    }
  });

  it('lets Prometheus scrape /metrics on every server’s metrics port, through the egress proxy’s policy too', () => {
    const [monitor] = manifests.filter((m) => m.kind === 'ServiceMonitor');
    expect(monitor!.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    const scraped = manifests.filter((m) => m.kind === 'Service' && selects(monitor!.spec.selector.matchLabels, m.metadata.labels!));
    expect(scraped.map(component).sort()).toEqual([...SERVERS].sort());
    const proxyPolicy = manifests.find((m) => m.kind === 'NetworkPolicy' && component(m) === 'egress-proxy')!;
    expect(proxyPolicy.spec.ingress[1]).toEqual({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 9464 }] });
  });
});

describeWithHelm('the optional Ingress', () => {
  const manifests = render({ 'ingress.enabled': 'true', 'ingress.host': 'agents.example.com' });
  const ingresses = manifests.filter((m) => m.kind === 'Ingress');
  const services = manifests.filter((m) => m.kind === 'Service');
  /** Which Service ingress-nginx sends a path to: a matching regex path wins over the `/` prefix. */
  const route = (path: string) => {
    const rules = ingresses.flatMap((ingress) => ingress.spec.rules[0].http.paths.map((p: any) => ({ ingress, ...p })));
    const match = rules.find((r) => r.pathType === 'ImplementationSpecific' && new RegExp(`^${r.path}$`).test(path)) ?? rules.find((r) => r.pathType === 'Prefix' && path.startsWith(r.path));
    return match && { service: component(services.find((s) => s.metadata.name === match.backend.service.name)!), annotations: match.ingress.metadata.annotations ?? {} };
  };

  it('validates against the Kubernetes schema, for the one host', async () => {
    expect(ingresses).toHaveLength(2);
    for (const ingress of ingresses) {
      await validateSchema(ingress);
      expect(ingress.spec.rules.map((r: { host: string }) => r.host)).toEqual(['agents.example.com']);
    }
  });

  it('sends a session’s event stream to the gateway, unbuffered with long timeouts, and the rest to the api', () => {
    expect(route('/api/v1/cloud/sessions/sesn_01ABC/events/stream')).toEqual({
      service: 'gateway',
      annotations: expect.objectContaining({
        'nginx.ingress.kubernetes.io/use-regex': 'true',
        'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      }),
    });
    for (const path of ['/api/v1/cloud/sessions/sesn_01ABC/events', '/api/v1/cloud/sessions/sesn_01ABC/events/stream/x', '/api/v1/cloud/sessions', '/healthz']) expect([path, route(path)?.service]).toEqual([path, 'api']);
    expect(route('/api/v1/cloud/sessions')!.annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBeUndefined();
    for (const ingress of ingresses) {
      const backend = ingress.spec.rules[0].http.paths[0].backend.service;
      const service = services.find((s) => s.metadata.name === backend.name)!;
      expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(backend.port.name);
    }
  });
});

describeWithHelm('the gateway’s open-streams metric', () => {
  it('adds a Pods metric for Prometheus Adapter to the gateway HPA when enabled', async () => {
    const manifests = render({ 'gateway.autoscaling.openStreams.enabled': 'true', 'gateway.autoscaling.openStreams.averageValue': '800' });
    const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler' && component(m) === 'gateway')!;
    await validateSchema(hpa);
    expect(hpa.spec.metrics[1]).toEqual({ type: 'Pods', pods: { metric: { name: 'stratus_gateway_open_streams' }, target: { type: 'AverageValue', averageValue: '800' } } });
    expect(manifests.find((m) => m.kind === 'HorizontalPodAutoscaler' && component(m) === 'api')!.spec.metrics).toHaveLength(1);
  });
});

describeWithHelm('the worker’s KEDA ScaledObject', () => {
  const prefix = testRedisPrefix();
  const manifests = render({ 'worker.autoscaling.enabled': 'true', 'redis.keyPrefix': prefix, 'worker.autoscaling.passwordKey': 'password' });
  const scaledObject = manifests.find((m) => m.kind === 'ScaledObject')!;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const producer = new SessionTurnProducer(redis, prefix);

  afterAll(async () => {
    await producer.queue.obliterate({ force: true });
    await producer.close();
    redis.disconnect();
  });

  it('targets the worker Deployment, which leaves its replicas to KEDA, with a floor and a cooldown', () => {
    const worker = manifests.find((m) => m.kind === 'Deployment' && component(m) === 'worker')!;
    expect(scaledObject.spec).toMatchObject({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: worker.metadata.name }, minReplicaCount: 1, maxReplicaCount: 20, cooldownPeriod: 300 });
    expect(worker.spec.replicas).toBeUndefined();
    expect(envOf(worker).REDIS_KEY_PREFIX).toBe(prefix);
  });

  it('reads the Redis address and password from the Redis Secret the processes use', async () => {
    const auth = manifests.find((m) => m.kind === 'TriggerAuthentication')!;
    await validateSchema(auth);
    expect(scaledObject.spec.triggers[0].authenticationRef).toEqual({ name: auth.metadata.name });
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: 'address', name: 'stratus-redis', key: 'address' },
      { parameter: 'password', name: 'stratus-redis', key: 'password' },
    ]);
  });

  it('watches the very list BullMQ keeps waiting turns in', async () => {
    const { listName, listLength } = scaledObject.spec.triggers[0].metadata;
    expect(scaledObject.spec.triggers[0].type).toBe('redis');
    expect(listLength).toBe('5');
    expect(await redis.llen(listName)).toBe(0);
    await producer.enqueue('sesn_keda_one', 1);
    await producer.enqueue('sesn_keda_two', 1);
    expect(await redis.llen(listName)).toBe(2);
  });
});

describeWithHelm('the schema validation itself', () => {
  it('rejects custom resources that break their schema, so a pass means something', async () => {
    const manifests = render({}, 'stratus', [PRODUCTION_VALUES]);
    const scaledObject = manifests.find((m) => m.kind === 'ScaledObject')!;
    await expect(validateSchema({ ...scaledObject, spec: { ...scaledObject.spec, minReplicaCount: 'two' } })).rejects.toThrow();
    const monitor = manifests.find((m) => m.kind === 'ServiceMonitor')!;
    await expect(validateSchema({ ...monitor, spec: { ...monitor.spec, endpoints: 'metrics' } })).rejects.toThrow();
    const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')!;
    await expect(validateSchema({ ...hpa, spec: { ...hpa.spec, minReplicas: 'two' } })).rejects.toThrow();
  });
});
