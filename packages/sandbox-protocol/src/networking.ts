import { z } from 'zod';

/** A host an `allowed_hosts` policy names: a host name, optionally starting with "*." (its subdomains). */
const HostPattern = z
  .string()
  .max(253)
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, {
    message: 'must be a host name, optionally starting with "*."',
  });

/**
 * An environment's networking policy, defined once for both ends: the public API validates it
 * (@stratus/contracts publishes it as the environment's `networking`), and the sandbox side
 * receives it (the runner's STRATUS_RUNNER_NETWORKING, the egress proxy's signed grant) and
 * enforces it. Here rather than in contracts because this package depends on nothing of Stratus.
 */
export const Networking = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('unrestricted') }),
  z.strictObject({ type: z.literal('limited'), allow_package_managers: z.boolean().default(false) }),
  z.strictObject({ type: z.literal('allowed_hosts'), allowed_hosts: z.array(HostPattern).min(1).max(256) }),
  z.strictObject({ type: z.literal('none') }),
]);
export type Networking = z.infer<typeof Networking>;

/** Hosts of the well-known package registries that `limited` + `allow_package_managers` lets through. */
export const PACKAGE_REGISTRY_HOSTS: readonly string[] = [
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'pypi.org',
  'files.pythonhosted.org',
  'deb.debian.org',
  'security.debian.org',
  'archive.ubuntu.com',
  'security.ubuntu.com',
  'dl-cdn.alpinelinux.org',
  'crates.io',
  'index.crates.io',
  'static.crates.io',
  'proxy.golang.org',
  'sum.golang.org',
  'rubygems.org',
  'index.rubygems.org',
  'repo.maven.apache.org',
  'repo1.maven.org',
];

/** Lower-cases a host and drops the trailing dot of a fully qualified name, so "API.github.com." matches. */
function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** "api.github.com" matches itself only; "*.example.com" matches any subdomain but not example.com itself. */
export function hostMatches(pattern: string, host: string): boolean {
  const p = normalizeHost(pattern);
  const h = normalizeHost(host);
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}

/** Whether a networking policy lets a sandbox reach `host`, and if not, the refusal the model sees. */
export type EgressDecision = { allowed: true } | { allowed: false; reason: string };

/** Decides whether `policy` lets a sandbox connect to `host` (a name or an IP literal, no port). */
export function egressDecision(policy: Networking, host: string): EgressDecision {
  // URL.hostname keeps IPv6 literals in brackets; patterns never contain them.
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  switch (policy.type) {
    case 'unrestricted':
      return { allowed: true };
    case 'none':
      return { allowed: false, reason: `network access is disabled in this environment (networking: none); cannot reach ${bare}` };
    case 'limited':
      if (!policy.allow_package_managers) {
        return { allowed: false, reason: `network access is limited in this environment and package managers are not allowed; cannot reach ${bare}` };
      }
      return PACKAGE_REGISTRY_HOSTS.some((registry) => hostMatches(registry, bare))
        ? { allowed: true }
        : { allowed: false, reason: `network access is limited to package registries in this environment; ${bare} is not one` };
    case 'allowed_hosts':
      return policy.allowed_hosts.some((pattern) => hostMatches(pattern, bare))
        ? { allowed: true }
        : { allowed: false, reason: `${bare} is not in this environment's allowed hosts (${policy.allowed_hosts.join(', ')})` };
  }
}
