import { isIP } from 'node:net';
import type { SandboxKubeApi } from './kube-api';

/**
 * The Service a proxy URL names: `<service>`, `<service>.<namespace>`, `<service>.<namespace>.svc`
 * or with the cluster domain after it. Undefined when the URL's host is an IP address already.
 */
export function proxyServiceOf(proxyUrl: string, defaultNamespace: string): { name: string; namespace: string } | undefined {
  const host = new URL(proxyUrl).hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) return undefined;
  const [name = '', namespace = defaultNamespace, svc] = host.split('.');
  if (svc !== undefined && svc !== 'svc') {
    throw new Error(`the egress proxy URL's host "${host}" is neither an IP address nor a Service name (<service>.<namespace>.svc)`);
  }
  return { name, namespace };
}

/**
 * The proxy URL with its Service name replaced by the Service's ClusterIP, read from the API. Sandboxes
 * that use the proxy get no cluster DNS (a DNS query is a way out that no proxy sees), so they must
 * reach it by address. The ClusterIP lives as long as the Service, so it is read once.
 */
export async function proxyUrlByClusterIp(api: SandboxKubeApi, proxyUrl: string, defaultNamespace: string): Promise<string> {
  const service = proxyServiceOf(proxyUrl, defaultNamespace);
  if (service === undefined) return proxyUrl;
  const found = await api.readService(service.namespace, service.name);
  const clusterIp = found?.spec?.clusterIP;
  if (found === undefined) throw new Error(`the egress proxy Service ${service.namespace}/${service.name} does not exist`);
  if (clusterIp === undefined || clusterIp === '' || clusterIp === 'None') {
    throw new Error(`the egress proxy Service ${service.namespace}/${service.name} has no ClusterIP (a headless Service cannot be reached without DNS)`);
  }
  const url = new URL(proxyUrl);
  url.hostname = isIP(clusterIp) === 6 ? `[${clusterIp}]` : clusterIp;
  return url.href.replace(/\/$/, '');
}
