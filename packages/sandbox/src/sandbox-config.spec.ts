import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSandboxProvider, kubernetesOptionsFromEnv, localIsolation, localSandboxDir, parseSandboxEnv } from './sandbox-config';
import { KubernetesSandboxProvider } from './kubernetes/kubernetes-provider';
import { LocalSandboxProvider } from './local/local-provider';

describe('sandbox configuration from env', () => {
  it('defaults to local sandboxes', () => {
    const env = parseSandboxEnv({});
    expect(env).toMatchObject({ STRATUS_SANDBOX_PROVIDER: 'local', STRATUS_SANDBOX_ISOLATION: 'auto', STRATUS_SANDBOX_WARM_POOL: {} });
    expect(createSandboxProvider({ ...env, STRATUS_SANDBOX_ISOLATION: 'none' }, 'a1b2c3d4e5f6')).toBeInstanceOf(LocalSandboxProvider);
  });

  it('gives each deployment a local sandbox directory of its own unless one is configured', () => {
    const env = parseSandboxEnv({});
    expect(localSandboxDir(env, 'a1b2c3d4e5f6')).toBe(path.join(tmpdir(), 'stratus-sandboxes', 'a1b2c3d4e5f6'));
    expect(localSandboxDir(env, 'f6e5d4c3b2a1')).toBe(path.join(tmpdir(), 'stratus-sandboxes', 'f6e5d4c3b2a1'));
    expect(localSandboxDir(parseSandboxEnv({ STRATUS_SANDBOX_DIR: '/srv/sandboxes' }), 'a1b2c3d4e5f6')).toBe('/srv/sandboxes');
  });

  it('parses the local limits and the egress proxy entry, refusing a bad size', () => {
    expect(parseSandboxEnv({})).toMatchObject({ STRATUS_SANDBOX_DISK_LIMIT: '10Gi', STRATUS_SANDBOX_PIDS_LIMIT: 512, STRATUS_SANDBOX_COMMAND_TIMEOUT_MS: 600_000, STRATUS_SANDBOX_SPARE_WORKSPACES: 2 });
    expect(parseSandboxEnv({ STRATUS_SANDBOX_DISK_LIMIT: '512Mi', STRATUS_SANDBOX_EGRESS_PROXY_ENTRY: 'apps/egress-proxy/dist/main.js' })).toMatchObject({
      STRATUS_SANDBOX_DISK_LIMIT: '512Mi',
      STRATUS_SANDBOX_EGRESS_PROXY_ENTRY: 'apps/egress-proxy/dist/main.js',
    });
    expect(() => parseSandboxEnv({ STRATUS_SANDBOX_DISK_LIMIT: 'lots' })).toThrow('STRATUS_SANDBOX_DISK_LIMIT');
  });

  it('builds the Kubernetes provider options, NetworkPolicy peers included', () => {
    const settings = {
      STRATUS_SANDBOX_PROVIDER: 'kubernetes',
      STRATUS_SANDBOX_KUBECONFIG: '/etc/stratus/kubeconfig',
      STRATUS_SANDBOX_RUNNER_IMAGE: 'ghcr.io/stratus/sandbox-runner:1.2.3',
      STRATUS_SANDBOX_RUNTIME_CLASS: 'gvisor',
      STRATUS_SANDBOX_CONTROL_NAMESPACE: 'agents',
      STRATUS_SANDBOX_WARM_POOL: '{"env_a":2}',
      STRATUS_EGRESS_PROXY_URL: 'http://stratus-egress-proxy.agents.svc:3130',
      STRATUS_EGRESS_PROXY_SIGNING_KEY: 'k'.repeat(32),
    };
    const env = parseSandboxEnv(settings);
    const options = kubernetesOptionsFromEnv(env);
    expect(options).toMatchObject({
      connection: { kubeconfigPath: '/etc/stratus/kubeconfig' },
      namespace: 'stratus-sandboxes',
      runnerImage: 'ghcr.io/stratus/sandbox-runner:1.2.3',
      runtimeClassName: 'gvisor',
      warmPool: { sizes: { env_a: 2 } },
      egressProxy: { url: 'http://stratus-egress-proxy.agents.svc:3130' },
      networkPolicies: { workers: { namespace: 'agents' }, egressProxy: { namespace: 'agents', port: 3130 } },
      // The disk limit local sandboxes get as a volume: emptyDir sizeLimit and ephemeral-storage on Kubernetes.
      workspaceSizeLimit: '10Gi',
    });
    expect(kubernetesOptionsFromEnv(parseSandboxEnv({ ...settings, STRATUS_SANDBOX_DISK_LIMIT: '3Gi' })).workspaceSizeLimit).toBe('3Gi');
    expect(createSandboxProvider(env, 'a1b2c3d4e5f6')).toBeInstanceOf(KubernetesSandboxProvider);
  });

  it('names each bad variable', () => {
    expect(() => parseSandboxEnv({ STRATUS_SANDBOX_PROVIDER: 'kubernetes', STRATUS_EGRESS_PROXY_URL: 'http://proxy:3128' })).toThrow(
      /STRATUS_SANDBOX_RUNNER_IMAGE: required[\s\S]*STRATUS_EGRESS_PROXY_SIGNING_KEY: set both/,
    );
    expect(() => parseSandboxEnv({ STRATUS_SANDBOX_WARM_POOL: '{' })).toThrow('STRATUS_SANDBOX_WARM_POOL: must be JSON');
    expect(() => parseSandboxEnv({ STRATUS_SANDBOX_RUNTIME_CLASS: '', STRATUS_SANDBOX_PROVIDER: 'docker' })).toThrow('STRATUS_SANDBOX_PROVIDER');
  });

  describe('isolation=auto in production', () => {
    const noBwrap = mkdtempSync(path.join(tmpdir(), 'no-bwrap-'));
    afterAll(() => rmSync(noBwrap, { recursive: true, force: true }));

    it('refuses to start without bubblewrap, naming the explicit opt-out', () => {
      const env = parseSandboxEnv({ NODE_ENV: 'production' });
      expect(() => localIsolation(env, noBwrap)).toThrow(/no bubblewrap[\s\S]*STRATUS_SANDBOX_ISOLATION=none/);
      const savedPath = process.env.PATH;
      process.env.PATH = noBwrap;
      try {
        expect(() => createSandboxProvider(env, 'deployment-a')).toThrow('STRATUS_SANDBOX_ISOLATION=none');
      } finally {
        process.env.PATH = savedPath;
      }
    });

    it('runs unisolated only when told to, and falls back with a warning outside production', () => {
      expect(localIsolation(parseSandboxEnv({ NODE_ENV: 'production', STRATUS_SANDBOX_ISOLATION: 'none' }), noBwrap)).toBe('none');
      expect(localIsolation(parseSandboxEnv({ NODE_ENV: 'development' }), noBwrap)).toBe('auto');
      expect(localIsolation(parseSandboxEnv({}), noBwrap)).toBe('auto');
    });
  });
});
