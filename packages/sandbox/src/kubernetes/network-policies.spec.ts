import { toWire, validateAgainstSchema } from '../../test/wire';
import { LABELS, SANDBOX_SELECTOR_LABELS, type EgressClass } from './manifests';
import { DEFAULT_BLOCKED_CIDRS, sandboxNetworkPolicies, type NetworkPolicyConfig } from './network-policies';

const config: NetworkPolicyConfig = {
  namespace: 'stratus-sandboxes',
  runnerPort: 8080,
  workers: { namespace: 'stratus', podLabels: { 'app.kubernetes.io/component': 'worker' } },
  egressProxy: { namespace: 'stratus', podLabels: { 'app.kubernetes.io/component': 'egress-proxy' }, port: 3128 },
};

type Wire = Record<string, any>;

async function policies(): Promise<Wire[]> {
  return Promise.all(sandboxNetworkPolicies(config).map((p) => toWire(p)));
}

/** The policies whose podSelector selects a pod with these labels (matchLabels only, as these use). */
function selecting(all: Wire[], labels: Record<string, string>): Wire[] {
  return all.filter((p) => Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
}

/** What NetworkPolicy semantics allow a pod: the union of the rules of every selecting policy, per direction. */
function allowed(all: Wire[], labels: Record<string, string>) {
  const chosen = selecting(all, labels);
  const isolated = (type: string) => chosen.some((p) => (p.spec.policyTypes as string[]).includes(type));
  return {
    ingressIsolated: isolated('Ingress'),
    egressIsolated: isolated('Egress'),
    ingress: chosen.flatMap((p) => p.spec.ingress ?? []),
    egress: chosen.flatMap((p) => p.spec.egress ?? []),
  };
}

const pod = (egress?: EgressClass) => ({ ...SANDBOX_SELECTOR_LABELS, [LABELS.session]: 'sess_x', ...(egress ? { [LABELS.egress]: egress } : {}) });
const dnsRule = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};

describe('sandboxNetworkPolicies', () => {
  it('validates every policy against the NetworkPolicy schema', async () => {
    for (const policy of await policies()) await expect(validateAgainstSchema(policy)).resolves.toBeUndefined();
  });

  it.each(['none', 'proxy', 'unrestricted', undefined] as const)('lets only worker pods reach a %s sandbox, on the runner port', async (egress) => {
    const rules = allowed(await policies(), pod(egress));
    expect(rules.ingressIsolated).toBe(true);
    expect(rules.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'stratus' } }, podSelector: { matchLabels: { 'app.kubernetes.io/component': 'worker' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ]);
  });

  it('gives networking none no egress at all, not even DNS', async () => {
    const rules = allowed(await policies(), pod('none'));
    expect(rules.egressIsolated).toBe(true);
    expect(rules.egress).toEqual([]);
  });

  it('fails closed for a sandbox pod without an egress label', async () => {
    expect(allowed(await policies(), pod()).egress).toEqual([]);
  });

  it('lets limited and allowed_hosts sandboxes reach only the egress proxy, not even DNS', async () => {
    const rules = allowed(await policies(), pod('proxy'));
    expect(rules.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'stratus' } }, podSelector: { matchLabels: { 'app.kubernetes.io/component': 'egress-proxy' } } }],
        ports: [{ protocol: 'TCP', port: 3128 }],
      },
    ]);
  });

  it('lets unrestricted sandboxes reach DNS and the internet, but not the cluster networks or the metadata service', async () => {
    const rules = allowed(await policies(), pod('unrestricted'));
    expect(rules.egress).toEqual([dnsRule, { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...DEFAULT_BLOCKED_CIDRS] } }] }]);
    expect(DEFAULT_BLOCKED_CIDRS).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']));
  });

  it('selects nothing outside the sandboxes', async () => {
    const all = await policies();
    expect(selecting(all, { 'app.kubernetes.io/component': 'worker' })).toEqual([]);
    for (const policy of all) expect(policy.metadata.namespace).toBe('stratus-sandboxes');
  });
});
