import { createHash } from 'node:crypto';
import type {
  V1Container,
  V1EnvVar,
  V1Job,
  V1LocalObjectReference,
  V1OwnerReference,
  V1PodSpec,
  V1Secret,
  V1SecurityContext,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { RunnerEnvName } from '@stratus/sandbox-protocol';
import type { SandboxPackages, SandboxTemplate } from '../provider';

/**
 * Pure builders of a sandbox's Kubernetes objects. No I/O here: the provider sends what these
 * return, and the unit tests validate it against the Kubernetes schemas and the security rules.
 */

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  workspace: 'stratus.dev/workspace-id',
  environment: 'stratus.dev/environment-id',
  session: 'stratus.dev/session-id',
  /** none | proxy | unrestricted: which egress NetworkPolicy selects the pod. */
  egress: 'stratus.dev/egress',
  /** Digest of the template, so a warm sandbox is only claimed for an identical spec. */
  template: 'stratus.dev/template',
  /** Present (value "true") while a sandbox waits unclaimed in a warm pool. */
  warm: 'stratus.dev/warm',
} as const;

export const ANNOTATIONS = {
  /** The provider instance whose warm pool holds an unclaimed sandbox. */
  warmOwner: 'stratus.dev/warm-owner',
  claimedAt: 'stratus.dev/claimed-at',
  /** The nonce the sandbox's egress credentials are bound to (see EgressGrant.sandbox). */
  egressNonce: 'stratus.dev/egress-nonce',
} as const;

/** Labels on every sandbox object; the selector of everything the provider manages. */
export const SANDBOX_SELECTOR_LABELS = {
  [LABELS.name]: 'stratus-sandbox',
  [LABELS.managedBy]: 'stratus',
  [LABELS.component]: 'sandbox',
} as const;

/** `key=value,...` for a label selector query. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

export const SANDBOX_SELECTOR = labelSelector(SANDBOX_SELECTOR_LABELS);

/** Keys of the per-sandbox Secret; each becomes an environment variable of a container. */
export const SECRET_KEYS = {
  token: 'runner-token',
  proxyUrl: 'proxy-url',
  initProxyUrl: 'init-proxy-url',
} as const;

export const CONTAINER = { runner: 'runner', installRunner: 'install-runner', installPackages: 'install-packages' } as const;

/** Where things live inside a sandbox pod. */
export const PATHS = {
  workspace: '/workspace',
  tmp: '/tmp',
  /** The runner image keeps node and the runner here; injected into other images by copying it. */
  runner: '/opt/stratus/runner',
  packages: '/opt/stratus/packages',
} as const;

/** The runner image's layout: a Node.js binary and the built runner beside its node_modules. */
export const RUNNER_COMMAND = [`${PATHS.runner}/bin/node`, `${PATHS.runner}/app/dist/main.js`];

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The uid/gid sandboxes run as unless configured otherwise (the "nonroot" user of distroless images). */
export const DEFAULT_SANDBOX_UID = 65532;
const DEFAULT_RESOURCES = { cpu: '1', memory: '2Gi' };
/** Label values: at most 63 characters, alphanumerics with - _ . inside. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Settings that shape every sandbox of a deployment (from the worker's env). */
export interface SandboxManifestConfig {
  namespace: string;
  runnerImage: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets?: readonly string[];
  runnerPort: number;
  /** gVisor (`gvisor`), Kata (`kata`) or unset for the cluster's default runtime. */
  runtimeClassName?: string;
  /** The sandbox's maximum lifetime: the Job's activeDeadlineSeconds. */
  maxLifetimeSeconds: number;
  /** How long a finished Job (and its Secret, through the owner reference) stays for inspection. */
  ttlSecondsAfterFinished: number;
  runAsUser?: number;
  /**
   * The sandbox's disk (STRATUS_SANDBOX_DISK_LIMIT): caps each emptyDir (workspace, tmp, packages) and
   * the containers' ephemeral-storage, so a sandbox cannot fill the node's disk.
   */
  workspaceSizeLimit?: string;
  nodeSelector?: Readonly<Record<string, string>>;
  tolerations?: readonly V1Toleration[];
}

/**
 * DNS of pods that have no direct egress: no cluster DNS (a lookup of <data>.attacker.example through
 * CoreDNS is a way out no proxy sees, and the cluster's names are none of a sandbox's business). The
 * one nameserver Kubernetes requires is the pod's own loopback, where nothing answers, so a lookup
 * fails at once; the egress proxy is reached by ClusterIP and resolves names itself.
 */
export const NO_DNS: Pick<V1PodSpec, 'dnsPolicy' | 'dnsConfig'> = {
  dnsPolicy: 'None',
  dnsConfig: { nameservers: ['127.0.0.1'], searches: [], options: [{ name: 'attempts', value: '1' }, { name: 'timeout', value: '1' }] },
};

/** Which egress NetworkPolicy a pod falls under. */
export type EgressClass = 'none' | 'proxy' | 'unrestricted';

function hasPackages(packages: SandboxPackages | undefined): packages is SandboxPackages {
  return packages !== undefined && packages.apt.length + packages.pip.length + packages.npm.length > 0;
}

/** True when the sandbox runs an init step (packages or a setup script). */
export function needsInstallStep(spec: SandboxTemplate): boolean {
  return hasPackages(spec.packages) || (spec.setupScript ?? '') !== '';
}

/**
 * `unrestricted` talks to the internet directly; `limited` and `allowed_hosts` only through the egress
 * proxy, which enforces the host list. `none` gets no egress at all, except when it has packages to
 * install: then the pod may reach the proxy, and only the init step holds proxy credentials (for the
 * package registries), so the runner and its commands still reach nothing.
 */
export function egressClass(spec: SandboxTemplate): EgressClass {
  switch (spec.networking.type) {
    case 'unrestricted':
      return 'unrestricted';
    case 'limited':
    case 'allowed_hosts':
      return 'proxy';
    case 'none':
      return needsInstallStep(spec) ? 'proxy' : 'none';
  }
}

/** Throws unless `value` can be a label value (session, workspace and environment ids are). */
export function assertLabelValue(what: string, value: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) throw new Error(`${what} "${value}" cannot be a Kubernetes label value`);
}

/**
 * The Job (and Secret) name of a session's sandbox: deterministic, so two workers provisioning the same
 * session collide on create (409) instead of starting two sandboxes. Readable prefix, hash for uniqueness.
 */
export function sandboxName(sessionId: string): string {
  const readable = sessionId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  const hash = createHash('sha256').update(sessionId).digest('hex').slice(0, 8);
  return `sbx-${readable === '' ? '' : `${readable}-`}${hash}`;
}

/** Single-quotes a word for sh. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The init step's script. The root filesystem is read-only and the user is not root, so packages go
 * to a shared volume: pip with --target, npm with --prefix, apt by downloading the .debs (and their
 * dependencies) with apt-get's state moved to /tmp and unpacking them with dpkg -x. The runner's PATH,
 * PYTHONPATH, NODE_PATH and LD_LIBRARY_PATH point there. The setup script runs last, in the workspace.
 */
export function installScript(packages: SandboxPackages | undefined, setupScript: string | undefined): string {
  const lines = ['set -eu', `mkdir -p ${PATHS.packages}`];
  if (packages?.apt.length) {
    const apt = `apt-get -q -o Dir::State::Lists=/tmp/apt/lists -o Dir::Cache=/tmp/apt/cache -o Debug::NoLocking=1`;
    lines.push(
      'mkdir -p /tmp/apt/lists/partial /tmp/apt/cache/archives/partial',
      `${apt} update`,
      `${apt} install --download-only --no-install-recommends -y ${packages.apt.map(shellQuote).join(' ')}`,
      `for deb in /tmp/apt/cache/archives/*.deb; do dpkg -x "$deb" ${PATHS.packages}/apt; done`,
    );
  }
  if (packages?.pip.length) {
    lines.push(`python3 -m pip install --no-cache-dir --disable-pip-version-check --target ${PATHS.packages}/pip ${packages.pip.map(shellQuote).join(' ')}`);
  }
  if (packages?.npm.length) {
    lines.push(`npm install --global --no-fund --no-audit --prefix ${PATHS.packages}/npm ${packages.npm.map(shellQuote).join(' ')}`);
  }
  if (setupScript !== undefined && setupScript !== '') {
    lines.push(`cd ${PATHS.workspace}`, `sh -c ${shellQuote(setupScript)}`);
  }
  return lines.join('\n');
}

function packageEnv(): V1EnvVar[] {
  const p = PATHS.packages;
  return [
    { name: 'PATH', value: `${p}/npm/bin:${p}/pip/bin:${p}/apt/usr/local/bin:${p}/apt/usr/bin:${p}/apt/bin:${SYSTEM_PATH}` },
    { name: 'PYTHONPATH', value: `${p}/pip` },
    { name: 'NODE_PATH', value: `${p}/npm/lib/node_modules` },
    { name: 'LD_LIBRARY_PATH', value: `${p}/apt/usr/lib:${p}/apt/usr/lib/x86_64-linux-gnu:${p}/apt/usr/lib/aarch64-linux-gnu:${p}/apt/lib` },
  ];
}

function secretEnv(name: string, secretName: string, key: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** HTTP(S)_PROXY in both spellings, read from the Secret: the value carries the sandbox's proxy credential. */
function proxyEnv(secretName: string, key: string): V1EnvVar[] {
  return [
    ...['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].map((name) => secretEnv(name, secretName, key)),
    { name: 'NO_PROXY', value: 'localhost,127.0.0.1,::1' },
    { name: 'no_proxy', value: 'localhost,127.0.0.1,::1' },
  ];
}

function containerSecurityContext(uid: number): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** What a sandbox's objects are called and labelled; cold sandboxes carry their session, warm ones not yet. */
export interface SandboxIdentity {
  name: string;
  sessionId?: string;
  /** The provider instance whose warm pool holds it (warm sandboxes only). */
  warmOwner?: string;
  /** The nonce its egress credentials are bound to (sandboxes that use the egress proxy only). */
  egressNonce?: string;
}

/** The Job's annotations: its warm pool owner and the nonce of its egress credentials, when it has them. */
export function sandboxAnnotations(identity: SandboxIdentity): Record<string, string> | undefined {
  const annotations = {
    ...(identity.warmOwner === undefined ? {} : { [ANNOTATIONS.warmOwner]: identity.warmOwner }),
    ...(identity.egressNonce === undefined ? {} : { [ANNOTATIONS.egressNonce]: identity.egressNonce }),
  };
  return Object.keys(annotations).length === 0 ? undefined : annotations;
}

/** The labels of a sandbox's Job, pod and Secret. */
export function sandboxLabels(template: SandboxTemplate, digest: string, identity: SandboxIdentity): Record<string, string> {
  assertLabelValue('workspace id', template.workspaceId);
  assertLabelValue('environment id', template.environmentId);
  if (identity.sessionId !== undefined) assertLabelValue('session id', identity.sessionId);
  return {
    ...SANDBOX_SELECTOR_LABELS,
    [LABELS.workspace]: template.workspaceId,
    [LABELS.environment]: template.environmentId,
    ...(identity.sessionId === undefined ? { [LABELS.warm]: 'true' } : { [LABELS.session]: identity.sessionId }),
    [LABELS.egress]: egressClass(template),
    [LABELS.template]: digest,
  };
}

/** What the Secret holds. The proxy URLs carry signed egress credentials, so they are secret too. */
export interface SandboxSecretData {
  token: string;
  /** HTTP(S)_PROXY of the runner and its commands (unset: no proxy). */
  proxyUrl?: string;
  /** HTTP(S)_PROXY of the install step, allowed to reach the package registries. */
  initProxyUrl?: string;
}

/** The per-sandbox Secret. Immutable: the kubelet need not watch it, and nothing may swap the token. */
export function sandboxSecret(identity: SandboxIdentity, labels: Record<string, string>, data: SandboxSecretData, config: SandboxManifestConfig): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: identity.name, namespace: config.namespace, labels },
    type: 'Opaque',
    immutable: true,
    stringData: {
      [SECRET_KEYS.token]: data.token,
      ...(data.proxyUrl === undefined ? {} : { [SECRET_KEYS.proxyUrl]: data.proxyUrl }),
      ...(data.initProxyUrl === undefined ? {} : { [SECRET_KEYS.initProxyUrl]: data.initProxyUrl }),
    },
  };
}

/** The owner reference that makes the garbage collector delete the Secret with its Job. */
export function jobOwnerReference(job: { name: string; uid: string }): V1OwnerReference {
  return { apiVersion: 'batch/v1', kind: 'Job', name: job.name, uid: job.uid, controller: false, blockOwnerDeletion: false };
}

/**
 * The sandbox Job: one pod, never retried (backoffLimit 0), killed at the maximum lifetime, cleaned
 * up after ttlSecondsAfterFinished. Its pod runs the runner as a non-root user on a read-only root
 * filesystem with only emptyDir volumes writable, no capabilities, no privilege escalation, the
 * runtime's default seccomp profile and no service-account token.
 */
export function sandboxJob(
  template: SandboxTemplate,
  digest: string,
  identity: SandboxIdentity,
  secret: { hasProxy: boolean; hasInitProxy: boolean },
  config: SandboxManifestConfig,
): V1Job {
  const labels = sandboxLabels(template, digest, identity);
  const uid = config.runAsUser ?? DEFAULT_SANDBOX_UID;
  const resources = template.resources ?? DEFAULT_RESOURCES;
  const quantities = { cpu: resources.cpu, memory: resources.memory };
  const sizeLimit = config.workspaceSizeLimit === undefined ? {} : { sizeLimit: config.workspaceSizeLimit };
  const storageLimit: Record<string, string> = config.workspaceSizeLimit === undefined ? {} : { 'ephemeral-storage': config.workspaceSizeLimit };
  const injectRunner = template.image !== undefined;
  const install = needsInstallStep(template);
  const image = template.image ?? config.runnerImage;

  const volumes: V1Volume[] = [
    { name: 'workspace', emptyDir: { ...sizeLimit } },
    { name: 'tmp', emptyDir: { ...sizeLimit } },
    ...(injectRunner ? [{ name: 'runner', emptyDir: {} }] : []),
    ...(install ? [{ name: 'packages', emptyDir: { ...sizeLimit } }] : []),
    // The install step's own /tmp and HOME: its registry credential, and what pip, npm and apt log or
    // cache with it, stay out of every volume the runner mounts.
    ...(install ? [{ name: 'install-tmp', emptyDir: { ...sizeLimit } }] : []),
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'workspace', mountPath: PATHS.workspace },
    { name: 'tmp', mountPath: PATHS.tmp },
    ...(injectRunner ? [{ name: 'runner', mountPath: PATHS.runner, readOnly: true }] : []),
    ...(install ? [{ name: 'packages', mountPath: PATHS.packages, readOnly: true }] : []),
  ];
  const baseEnv: V1EnvVar[] = [
    { name: 'HOME', value: PATHS.tmp },
    { name: 'TMPDIR', value: PATHS.tmp },
    { name: 'LANG', value: 'C.UTF-8' },
  ];
  const common = {
    imagePullPolicy: config.imagePullPolicy,
    // A crashing runner's or install step's last stderr lines become its termination message, and so the session.error.
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: containerSecurityContext(uid),
    resources: { requests: quantities, limits: { ...quantities, ...storageLimit } },
  };

  const initContainers: V1Container[] = [];
  if (injectRunner) {
    initContainers.push({
      ...common,
      name: CONTAINER.installRunner,
      image: config.runnerImage,
      // The runner image's own node and runner, copied so the environment's image needs neither.
      command: ['/bin/cp', '-R', `${PATHS.runner}/.`, '/target/'],
      volumeMounts: [{ name: 'runner', mountPath: '/target' }],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
    });
  }
  if (install) {
    initContainers.push({
      ...common,
      name: CONTAINER.installPackages,
      image,
      command: ['/bin/sh', '-c', installScript(template.packages, template.setupScript)],
      workingDir: PATHS.workspace,
      env: [...baseEnv, ...(secret.hasInitProxy ? proxyEnv(identity.name, SECRET_KEYS.initProxyUrl) : [])],
      volumeMounts: [
        { name: 'workspace', mountPath: PATHS.workspace },
        { name: 'install-tmp', mountPath: PATHS.tmp },
        { name: 'packages', mountPath: PATHS.packages },
      ],
    });
  }

  const stratusEnv: V1EnvVar[] = [
    ...baseEnv,
    ...(install ? packageEnv() : []),
    ...(secret.hasProxy ? proxyEnv(identity.name, SECRET_KEYS.proxyUrl) : []),
    { name: 'STRATUS_RUNNER_PORT' satisfies RunnerEnvName, value: String(config.runnerPort) },
    { name: 'STRATUS_WORKSPACE_DIR' satisfies RunnerEnvName, value: PATHS.workspace },
    { name: 'STRATUS_RUNNER_NETWORKING' satisfies RunnerEnvName, value: JSON.stringify(template.networking) },
    secretEnv('STRATUS_RUNNER_TOKEN' satisfies RunnerEnvName, identity.name, SECRET_KEYS.token),
  ];
  const reserved = new Set(stratusEnv.map((env) => env.name));
  // The environment's own variables first; ours win on a clash (a sandbox cannot reset its token or proxy).
  const userEnv = Object.entries(template.environmentVariables)
    .filter(([name]) => !reserved.has(name))
    .map(([name, value]) => ({ name, value }));

  const pullSecrets: V1LocalObjectReference[] | undefined = config.imagePullSecrets?.map((name) => ({ name }));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: identity.name,
      namespace: config.namespace,
      labels,
      annotations: sandboxAnnotations(identity),
    },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds: config.maxLifetimeSeconds,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          // No service environment variables: they would tell a sandbox the address of every service in its namespace.
          enableServiceLinks: false,
          runtimeClassName: config.runtimeClassName,
          ...(egressClass(template) === 'unrestricted' ? {} : structuredClone(NO_DNS)),
          terminationGracePeriodSeconds: 5,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: uid,
            fsGroup: uid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          imagePullSecrets: pullSecrets,
          nodeSelector: config.nodeSelector === undefined ? undefined : { ...config.nodeSelector },
          tolerations: config.tolerations === undefined ? undefined : [...config.tolerations],
          volumes,
          initContainers: initContainers.length > 0 ? initContainers : undefined,
          containers: [
            {
              ...common,
              name: CONTAINER.runner,
              image,
              command: RUNNER_COMMAND,
              workingDir: PATHS.workspace,
              ports: [{ name: 'runner', containerPort: config.runnerPort, protocol: 'TCP' }],
              env: [...userEnv, ...stratusEnv],
              volumeMounts: mounts,
              // Ready once the runner accepts connections; the worker still checks /healthz with the token.
              readinessProbe: { tcpSocket: { port: config.runnerPort }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      },
    },
  };
}

