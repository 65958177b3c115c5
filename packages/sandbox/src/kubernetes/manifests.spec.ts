import type { Networking } from '@stratus/contracts';
import { toWire, validateAgainstSchema } from '../../test/wire';
import type { SandboxTemplate } from '../provider';
import {
  assertLabelValue,
  installScript,
  LABELS,
  RUNNER_COMMAND,
  sandboxJob,
  sandboxName,
  sandboxSecret,
  sandboxLabels,
  SECRET_KEYS,
  type SandboxManifestConfig,
} from './manifests';

const config: SandboxManifestConfig = {
  namespace: 'stratus-sandboxes',
  runnerImage: 'ghcr.io/stratus/sandbox-runner:1.0.0',
  runnerPort: 8080,
  maxLifetimeSeconds: 3600,
  ttlSecondsAfterFinished: 120,
};

const template = (overrides: Partial<SandboxTemplate> = {}): SandboxTemplate => ({
  workspaceId: 'wksp_0123456789abcdef0123456789abcdef',
  environmentId: 'env_0123456789abcdef0123456789abcdef',
  networking: { type: 'unrestricted' },
  environmentVariables: { GREETING: 'hello' },
  resources: { cpu: '500m', memory: '1Gi' },
  ...overrides,
});

const SESSION = 'sess_0123456789abcdef0123456789abcdef';

/** The Job for a template as it is sent, with the proxy keys the provider would put in the Secret. */
async function wireJob(t: SandboxTemplate, extra: Partial<SandboxManifestConfig> = {}) {
  const proxied = t.networking.type === 'limited' || t.networking.type === 'allowed_hosts';
  const installs = (t.packages?.apt.length ?? 0) + (t.packages?.pip.length ?? 0) + (t.packages?.npm.length ?? 0) > 0 || !!t.setupScript;
  const job = sandboxJob(t, 'digest0123456789abcd', { name: sandboxName(SESSION), sessionId: SESSION }, { hasProxy: proxied, hasInitProxy: installs && t.networking.type !== 'unrestricted' }, { ...config, ...extra });
  return toWire(job);
}

const allContainers = (job: Record<string, any>): Record<string, any>[] => [...(job.spec.template.spec.initContainers ?? []), ...job.spec.template.spec.containers];
const envOf = (container: Record<string, any>) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

const NETWORKING: Networking[] = [
  { type: 'none' },
  { type: 'limited', allow_package_managers: true },
  { type: 'allowed_hosts', allowed_hosts: ['api.github.com', '*.example.com'] },
  { type: 'unrestricted' },
];
const VARIANTS: [string, Partial<SandboxTemplate>, Partial<SandboxManifestConfig>][] = [
  ['the runner image', {}, {}],
  ['an environment image', { image: 'python:3.12-slim' }, {}],
  ['packages and a setup script', { image: 'python:3.12-slim', packages: { apt: ['jq'], pip: ['requests==2.32.3'], npm: ['typescript'] }, setupScript: 'git init' }, {}],
  ['gVisor and pull secrets', {}, { runtimeClassName: 'gvisor', imagePullSecrets: ['registry'], imagePullPolicy: 'IfNotPresent', workspaceSizeLimit: '5Gi' }],
];

describe('sandboxJob', () => {
  describe.each(VARIANTS)('with %s', (_name, overrides, extra) => {
    it.each(NETWORKING.map((n) => [n.type, n] as const))('validates against the Job schema with networking %s', async (_type, networking) => {
      const job = await wireJob(template({ ...overrides, networking }), extra);
      await expect(validateAgainstSchema(job)).resolves.toBeUndefined();
    });

    it('locks the pod down: non-root, read-only root, no capabilities, no escalation, RuntimeDefault seccomp, no token', async () => {
      const job = await wireJob(template(overrides), extra);
      const pod = job.spec.template.spec;
      expect(pod).toMatchObject({
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      });
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      for (const container of allContainers(job)) {
        expect(container.securityContext).toEqual({
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.resources.limits).toBeDefined();
      }
      // Only emptyDir volumes: nothing from the node, no projected token.
      expect(pod.volumes.every((v: any) => Object.keys(v).sort().join() === 'emptyDir,name')).toBe(true);
      const runner = pod.containers[0];
      expect(runner.volumeMounts).toEqual(expect.arrayContaining([{ name: 'workspace', mountPath: '/workspace' }, { name: 'tmp', mountPath: '/tmp' }]));
      expect(pod.runtimeClassName).toBe(extra.runtimeClassName);
    });
  });

  it('is a one-shot Job with the lifetime, TTL, labels and resources of the spec', async () => {
    const job = await wireJob(template());
    expect(job.metadata).toMatchObject({ name: sandboxName(SESSION), namespace: 'stratus-sandboxes' });
    expect(job.spec).toMatchObject({ backoffLimit: 0, completions: 1, parallelism: 1, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 120 });
    const labels = { [LABELS.workspace]: template().workspaceId, [LABELS.environment]: template().environmentId, [LABELS.session]: SESSION, [LABELS.egress]: 'unrestricted' };
    expect(job.metadata.labels).toMatchObject(labels);
    expect(job.spec.template.metadata.labels).toMatchObject(labels);
    const runner = job.spec.template.spec.containers[0];
    expect(runner.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } });
    expect(runner.ports).toEqual([{ name: 'runner', containerPort: 8080, protocol: 'TCP' }]);
    expect(runner.readinessProbe).toMatchObject({ tcpSocket: { port: 8080 } });
    expect(runner.image).toBe(config.runnerImage);
    expect(job.spec.template.spec.initContainers).toBeUndefined();
  });

  it('reads the runner token from the Secret and never carries it', async () => {
    const job = await wireJob(template());
    const env = envOf(job.spec.template.spec.containers[0]);
    expect(env.STRATUS_RUNNER_TOKEN).toEqual({ secretKeyRef: { name: sandboxName(SESSION), key: SECRET_KEYS.token } });
    expect(env).toMatchObject({ STRATUS_RUNNER_PORT: '8080', STRATUS_WORKSPACE_DIR: '/workspace', STRATUS_RUNNER_NETWORKING: '{"type":"unrestricted"}', GREETING: 'hello' });
  });

  it('lets no environment variable replace the token, the proxy or the runner settings', async () => {
    const job = await wireJob(
      template({ networking: { type: 'allowed_hosts', allowed_hosts: ['x.test'] }, environmentVariables: { STRATUS_RUNNER_TOKEN: 'mine', HTTPS_PROXY: 'http://evil', STRATUS_RUNNER_NETWORKING: '{"type":"unrestricted"}', KEEP: '1' } }),
    );
    const env = job.spec.template.spec.containers[0].env as { name: string }[];
    for (const name of ['STRATUS_RUNNER_TOKEN', 'HTTPS_PROXY', 'STRATUS_RUNNER_NETWORKING']) expect(env.filter((e) => e.name === name)).toHaveLength(1);
    const byName = envOf(job.spec.template.spec.containers[0]);
    expect(byName.HTTPS_PROXY).toEqual({ secretKeyRef: { name: sandboxName(SESSION), key: SECRET_KEYS.proxyUrl } });
    expect(byName.STRATUS_RUNNER_NETWORKING).toBe('{"type":"allowed_hosts","allowed_hosts":["x.test"]}');
    expect(byName.KEEP).toBe('1');
  });

  it('routes limited and allowed_hosts sandboxes through the proxy, and nothing else', async () => {
    for (const networking of NETWORKING) {
      const job = await wireJob(template({ networking }));
      const env = envOf(job.spec.template.spec.containers[0]);
      const proxied = networking.type === 'limited' || networking.type === 'allowed_hosts';
      expect([networking.type, env.HTTP_PROXY !== undefined, env.https_proxy !== undefined]).toEqual([networking.type, proxied, proxied]);
      expect(job.metadata.labels[LABELS.egress]).toBe({ none: 'none', limited: 'proxy', allowed_hosts: 'proxy', unrestricted: 'unrestricted' }[networking.type]);
    }
  });

  it('injects the runner into an environment image with an init container and a shared read-only volume', async () => {
    const job = await wireJob(template({ image: 'python:3.12-slim' }));
    const pod = job.spec.template.spec;
    expect(pod.initContainers).toEqual([
      expect.objectContaining({ name: 'install-runner', image: config.runnerImage, command: ['/bin/cp', '-R', '/opt/stratus/runner/.', '/target/'], volumeMounts: [{ name: 'runner', mountPath: '/target' }] }),
    ]);
    expect(pod.containers[0]).toMatchObject({ image: 'python:3.12-slim', command: RUNNER_COMMAND });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'runner', mountPath: '/opt/stratus/runner', readOnly: true });
  });

  it('gives pods without direct egress no cluster DNS, and unrestricted ones the cluster default', async () => {
    for (const networking of NETWORKING) {
      const pod = (await wireJob(template({ networking }))).spec.template.spec;
      if (networking.type === 'unrestricted') {
        expect(pod.dnsPolicy).toBeUndefined();
        expect(pod.dnsConfig).toBeUndefined();
        continue;
      }
      expect({ type: networking.type, dnsPolicy: pod.dnsPolicy, nameservers: pod.dnsConfig.nameservers, searches: pod.dnsConfig.searches }).toEqual({
        type: networking.type,
        dnsPolicy: 'None',
        nameservers: ['127.0.0.1'],
        searches: [],
      });
    }
    // networking none with packages reaches the proxy for its install step: no DNS either.
    const installing = (await wireJob(template({ networking: { type: 'none' }, packages: { apt: [], pip: ['requests'], npm: [] } }))).spec.template.spec;
    expect(installing.dnsPolicy).toBe('None');
  });

  it('caps the disk: every emptyDir and each container\'s ephemeral storage', async () => {
    const job = await wireJob(template({ packages: { apt: [], pip: ['requests'], npm: [] }, image: 'python:3.12-slim' }), { workspaceSizeLimit: '10Gi' });
    const pod = job.spec.template.spec;
    for (const volume of pod.volumes.filter((v: any) => v.name !== 'runner')) expect({ name: volume.name, emptyDir: volume.emptyDir }).toEqual({ name: volume.name, emptyDir: { sizeLimit: '10Gi' } });
    expect(pod.containers[0].resources.limits).toEqual({ cpu: '500m', memory: '1Gi', 'ephemeral-storage': '10Gi' });
    expect(pod.initContainers.find((c: any) => c.name === 'install-packages').resources.limits['ephemeral-storage']).toBe('10Gi');
    await expect(validateAgainstSchema(job)).resolves.toBeUndefined();
  });

  it('keeps the install step\'s registry credential off every volume the runner mounts', async () => {
    const job = await wireJob(template({ networking: { type: 'none' }, packages: { apt: ['jq'], pip: [], npm: [] }, setupScript: 'true' }));
    const pod = job.spec.template.spec;
    const install = pod.initContainers.find((c: any) => c.name === 'install-packages');
    const runner = pod.containers[0];
    // HOME and TMPDIR (/tmp), where pip, npm and apt write logs and caches, are the install step's own volume.
    expect(envOf(install)).toMatchObject({ HOME: '/tmp', TMPDIR: '/tmp' });
    const tmp = install.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    expect(tmp.name).toBe('install-tmp');
    expect(runner.volumeMounts.map((m: any) => m.name)).not.toContain('install-tmp');
    expect(Object.values(envOf(runner))).not.toContainEqual({ secretKeyRef: expect.objectContaining({ key: SECRET_KEYS.initProxyUrl }) });
  });

  it('installs packages in an init step that alone may reach the registries, then points the runner at them', async () => {
    const job = await wireJob(template({ networking: { type: 'none' }, packages: { apt: ['jq'], pip: ['requests'], npm: [] }, setupScript: 'echo ready > /workspace/ready' }));
    const [install] = job.spec.template.spec.initContainers;
    expect(install.name).toBe('install-packages');
    expect(install.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(envOf(install).HTTPS_PROXY).toEqual({ secretKeyRef: { name: sandboxName(SESSION), key: SECRET_KEYS.initProxyUrl } });
    const runner = envOf(job.spec.template.spec.containers[0]);
    expect(runner.HTTPS_PROXY).toBeUndefined();
    expect(runner.PYTHONPATH).toBe('/opt/stratus/packages/pip');
    expect(runner.PATH).toMatch(/^\/opt\/stratus\/packages\/npm\/bin:/);
    // networking none: the pod may reach the proxy (for the install), the runner holds no credential for it.
    expect(job.metadata.labels[LABELS.egress]).toBe('proxy');
    expect(job.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'packages', mountPath: '/opt/stratus/packages', readOnly: true });
  });
});

describe('installScript', () => {
  it('installs without root into the packages volume and quotes every package name', () => {
    const script = installScript({ apt: ['jq'], pip: ["evil'; rm -rf /; echo '"], npm: ['typescript@5'] }, "echo 'hi'");
    expect(script).toContain("python3 -m pip install --no-cache-dir --disable-pip-version-check --target /opt/stratus/packages/pip 'evil'\\''; rm -rf /; echo '\\'''");
    expect(script).toContain("npm install --global --no-fund --no-audit --prefix /opt/stratus/packages/npm 'typescript@5'");
    expect(script).toContain('dpkg -x "$deb" /opt/stratus/packages/apt');
    expect(script.split('\n').slice(-2)).toEqual(['cd /workspace', "sh -c 'echo '\\''hi'\\'''"]);
    expect(script.startsWith('set -eu')).toBe(true);
  });
});

describe('sandboxSecret', () => {
  it('is immutable, labelled like its Job and holds the token and proxy URLs', async () => {
    const t = template();
    const secret = await toWire(
      sandboxSecret({ name: 'sbx-x', sessionId: SESSION }, sandboxLabels(t, 'digest', { name: 'sbx-x', sessionId: SESSION }), { token: 't0k3n', proxyUrl: 'http://s:c@proxy:3128' }, config),
    );
    await validateAgainstSchema(secret);
    expect(secret).toMatchObject({ type: 'Opaque', immutable: true, stringData: { [SECRET_KEYS.token]: 't0k3n', [SECRET_KEYS.proxyUrl]: 'http://s:c@proxy:3128' } });
    expect(secret.metadata.labels[LABELS.session]).toBe(SESSION);
  });
});

describe('names and labels', () => {
  it('derives a stable DNS-label name per session, distinct for ids that sanitise alike', () => {
    const names = [SESSION, 'sess_A', 'sess-a', 'sess_a'].map(sandboxName);
    expect(new Set(names).size).toBe(4);
    expect(sandboxName(SESSION)).toBe(sandboxName(SESSION));
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('refuses ids that cannot be label values', () => {
    expect(() => assertLabelValue('session id', 'x'.repeat(64))).toThrow('cannot be a Kubernetes label value');
    expect(() => assertLabelValue('session id', 'a/b')).toThrow();
    expect(() => assertLabelValue('session id', SESSION)).not.toThrow();
  });
});
