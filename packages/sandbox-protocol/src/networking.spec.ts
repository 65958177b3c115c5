import { egressDecision, hostMatches, Networking } from './networking';

/** The refusal for a URL's host as the runner's fetch asks it, undefined when allowed. */
const refused = (policy: Networking, url: string) => {
  const decision = egressDecision(policy, new URL(url).hostname);
  return decision.allowed ? undefined : decision.reason;
};

describe('hostMatches', () => {
  it('matches exact names case-insensitively, ignoring a trailing dot', () => {
    expect(hostMatches('api.github.com', 'API.GitHub.com.')).toBe(true);
    expect(hostMatches('api.github.com', 'evil-api.github.com')).toBe(false);
    expect(hostMatches('github.com', 'api.github.com')).toBe(false);
  });

  it('matches "*." wildcards against subdomains at any depth but not the bare domain', () => {
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'badexample.com')).toBe(false);
  });
});

describe('egressDecision', () => {
  it('allows everything when unrestricted and nothing when none', () => {
    expect(refused({ type: 'unrestricted' }, 'https://anything.test/')).toBeUndefined();
    expect(refused({ type: 'none' }, 'https://registry.npmjs.org/')).toMatch(/disabled/);
  });

  it('allows only package registries when limited with package managers, nothing without', () => {
    const withRegistries: Networking = { type: 'limited', allow_package_managers: true };
    expect(refused(withRegistries, 'https://registry.npmjs.org/zod')).toBeUndefined();
    expect(refused(withRegistries, 'https://files.pythonhosted.org/x.whl')).toBeUndefined();
    expect(refused(withRegistries, 'https://example.com/')).toMatch(/package registries/);
    expect(refused({ type: 'limited', allow_package_managers: false }, 'https://registry.npmjs.org/')).toMatch(/not allowed/);
  });

  it('checks allowed_hosts patterns against the URL host, not its port or path', () => {
    const policy: Networking = { type: 'allowed_hosts', allowed_hosts: ['api.github.com', '*.example.com'] };
    expect(refused(policy, 'https://api.github.com:8443/repos')).toBeUndefined();
    expect(refused(policy, 'http://x.example.com/')).toBeUndefined();
    expect(refused(policy, 'https://github.com/api.github.com')).toMatch(/allowed hosts/);
    expect(refused(policy, 'https://api.github.com.evil.test/')).toMatch(/allowed hosts/);
  });

  it('takes IPv6 literals with or without their URL brackets', () => {
    const policy: Networking = { type: 'allowed_hosts', allowed_hosts: ['::1'] };
    expect(egressDecision(policy, '[::1]')).toEqual({ allowed: true });
    expect(egressDecision(policy, '::1')).toEqual({ allowed: true });
  });
});

describe('Networking', () => {
  it('holds the sandbox side to the host patterns the API accepts: a URL or an over-long list is refused', () => {
    expect(Networking.parse({ type: 'allowed_hosts', allowed_hosts: ['api.github.com', '*.example.com', '127.0.0.1'] })).toBeDefined();
    expect(Networking.safeParse({ type: 'allowed_hosts', allowed_hosts: ['http://api.github.com'] }).success).toBe(false);
    expect(Networking.safeParse({ type: 'allowed_hosts', allowed_hosts: Array.from({ length: 257 }, (_, i) => `h${i}.test`) }).success).toBe(false);
    expect(Networking.parse({ type: 'limited' })).toEqual({ type: 'limited', allow_package_managers: false });
  });
});
