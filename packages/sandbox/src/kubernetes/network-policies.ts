import type { V1NetworkPolicy, V1NetworkPolicyEgressRule, V1NetworkPolicyPeer } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { LABELS, SANDBOX_SELECTOR_LABELS, type EgressClass } from './manifests';

/** Where the pods a sandbox may talk to run, as label selectors. */
export interface NetworkPolicyConfig {
  /** The sandbox namespace: the policies live there and select its sandbox pods. */
  namespace: string;
  runnerPort: number;
  /** The worker pods: the only ones allowed to reach a runner. */
  workers: { namespace: string; podLabels: Readonly<Record<string, string>> };
  /** The egress proxy pods and their port (needed by `limited` and `allowed_hosts`). */
  egressProxy: { namespace: string; podLabels: Readonly<Record<string, string>>; port: number };
  /** The cluster DNS pods; defaults to kube-system's k8s-app=kube-dns (CoreDNS keeps that label). */
  dns?: { namespace: string; podLabels: Readonly<Record<string, string>> };
  /**
   * Destinations `unrestricted` sandboxes may still not reach: the cluster's own networks and the
   * cloud metadata service. Defaults to the private, shared and link-local IPv4 ranges.
   */
  blockedCidrs?: readonly string[];
}

export const DEFAULT_BLOCKED_CIDRS: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];
const DEFAULT_DNS = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } };

export const NETWORK_POLICY_NAMES = {
  base: 'stratus-sandbox-base',
  proxy: 'stratus-sandbox-egress-proxy',
  unrestricted: 'stratus-sandbox-egress-unrestricted',
} as const;

function podsIn(namespace: string, podLabels: Readonly<Record<string, string>>): V1NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
    podSelector: { matchLabels: { ...podLabels } },
  };
}

function selectEgress(egress: EgressClass) {
  return { matchLabels: { ...SANDBOX_SELECTOR_LABELS, [LABELS.egress]: egress } };
}

/**
 * The sandbox namespace's NetworkPolicies, one per networking mode plus a base policy. Policies are
 * additive, so the base one selects every sandbox pod for both directions and allows only worker →
 * runner traffic: a pod no other policy selects (`none`) has no egress at all, and anything not
 * labelled as it should be fails closed. `proxy` pods may add the egress proxy and nothing else, not
 * even DNS (they reach the proxy by ClusterIP; see NO_DNS in manifests.ts); `unrestricted` pods may add
 * DNS and any address outside the blocked ranges.
 */
export function sandboxNetworkPolicies(config: NetworkPolicyConfig): V1NetworkPolicy[] {
  const dns = config.dns ?? DEFAULT_DNS;
  const dnsRule: V1NetworkPolicyEgressRule = {
    to: [podsIn(dns.namespace, dns.podLabels)],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
  const metadata = (name: string) => ({
    name,
    namespace: config.namespace,
    labels: { [LABELS.managedBy]: 'stratus', [LABELS.component]: 'sandbox-network-policy' },
  });
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: metadata(NETWORK_POLICY_NAMES.base),
      spec: {
        podSelector: { matchLabels: { ...SANDBOX_SELECTOR_LABELS } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ _from: [podsIn(config.workers.namespace, config.workers.podLabels)], ports: [{ protocol: 'TCP', port: config.runnerPort }] }],
        egress: [],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: metadata(NETWORK_POLICY_NAMES.proxy),
      spec: {
        podSelector: selectEgress('proxy'),
        policyTypes: ['Egress'],
        egress: [{ to: [podsIn(config.egressProxy.namespace, config.egressProxy.podLabels)], ports: [{ protocol: 'TCP', port: config.egressProxy.port }] }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: metadata(NETWORK_POLICY_NAMES.unrestricted),
      spec: {
        podSelector: selectEgress('unrestricted'),
        policyTypes: ['Egress'],
        egress: [dnsRule, { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...(config.blockedCidrs ?? DEFAULT_BLOCKED_CIDRS)] } }] }],
      },
    },
  ];
}
