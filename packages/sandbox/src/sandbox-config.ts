import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from '@stratus/contracts';
import { jsonText } from '@stratus/sandbox-protocol';
import { z } from 'zod';
import { MIN_EGRESS_KEY_LENGTH } from './egress/egress-credential';
import { findExecutable } from './local/bwrap';
import { KubernetesSandboxProvider, type KubernetesSandboxProviderOptions } from './kubernetes/kubernetes-provider';
import { parseMemoryQuantity } from './local/cgroups';
import { LocalSandboxProvider, type SandboxLogger } from './local/local-provider';
import type { SandboxProvider } from './provider';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The worker's sandbox settings, from env. Defaults run local sandboxes on a laptop. */
export const SandboxEnv = z
  .object({
    NODE_ENV: z.string().default('development'),
    STRATUS_SANDBOX_PROVIDER: z.enum(['local', 'kubernetes']).default('local'),
    // local
    // Empty: a directory of the deployment's own, <tmpdir>/stratus-sandboxes/<deployment id> (see localSandboxDir).
    STRATUS_SANDBOX_DIR: z.string().trim().default(''),
    STRATUS_SANDBOX_ISOLATION: z.enum(['auto', 'bwrap', 'none']).default('auto'),
    STRATUS_SANDBOX_EGRESS_PROXY_ENTRY: optionalText,
    // The built sandbox runner, relative to the working directory (the repository root for `pnpm start`).
    STRATUS_SANDBOX_RUNNER_ENTRY: z.string().trim().min(1).default('apps/sandbox-runner/dist/main.js'),
    STRATUS_SANDBOX_PIDS_LIMIT: z.coerce.number().int().min(16).default(512),
    STRATUS_SANDBOX_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),
    STRATUS_SANDBOX_SPARE_WORKSPACES: z.coerce.number().int().min(0).max(32).default(2),
    // kubernetes
    STRATUS_SANDBOX_KUBECONFIG: optionalText,
    STRATUS_SANDBOX_KUBE_CONTEXT: optionalText,
    STRATUS_SANDBOX_NAMESPACE: z.string().min(1).default('stratus-sandboxes'),
    STRATUS_SANDBOX_CONTROL_NAMESPACE: z.string().min(1).default('stratus'),
    STRATUS_SANDBOX_RUNNER_IMAGE: optionalText,
    STRATUS_SANDBOX_RUNNER_PORT: z.coerce.number().int().min(1).max(65_535).default(8080),
    STRATUS_SANDBOX_RUNTIME_CLASS: optionalText,
    STRATUS_SANDBOX_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).default(86_400),
    STRATUS_SANDBOX_TTL_AFTER_FINISHED_SECONDS: z.coerce.number().int().min(0).default(300),
    STRATUS_SANDBOX_START_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
    STRATUS_SANDBOX_NETWORK_POLICIES: z.enum(['managed', 'external']).default('managed'),
    STRATUS_EGRESS_PROXY_URL: optionalText.pipe(z.url().optional()),
    STRATUS_EGRESS_PROXY_SIGNING_KEY: optionalText.pipe(z.string().min(MIN_EGRESS_KEY_LENGTH, `must be at least ${MIN_EGRESS_KEY_LENGTH} characters`).optional()),
    // both: the disk a sandbox may fill (its workspace and temporary files), as a Kubernetes quantity
    STRATUS_SANDBOX_DISK_LIMIT: z
      .string()
      .trim()
      .refine((quantity) => parseMemoryQuantity(quantity) !== undefined, 'must be a quantity such as 10Gi or 500Mi')
      .default('10Gi'),
    STRATUS_SANDBOX_WARM_POOL: jsonText(z.record(z.string(), z.coerce.number().int().min(0).max(100))).default({}),
    STRATUS_SANDBOX_WARM_MAX_IDLE_MS: z.coerce.number().int().min(1000).default(600_000),
  })
  .superRefine((env, ctx) => {
    if (env.STRATUS_SANDBOX_PROVIDER !== 'kubernetes') return;
    if (env.STRATUS_SANDBOX_RUNNER_IMAGE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['STRATUS_SANDBOX_RUNNER_IMAGE'], message: 'required with STRATUS_SANDBOX_PROVIDER=kubernetes' });
    }
    if ((env.STRATUS_EGRESS_PROXY_URL === undefined) !== (env.STRATUS_EGRESS_PROXY_SIGNING_KEY === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['STRATUS_EGRESS_PROXY_SIGNING_KEY'], message: 'set both STRATUS_EGRESS_PROXY_URL and STRATUS_EGRESS_PROXY_SIGNING_KEY, or neither' });
    }
  });
export type SandboxEnv = z.infer<typeof SandboxEnv>;

/** Parses the sandbox settings once at boot; throws naming each bad variable. */
export function parseSandboxEnv(env: NodeJS.ProcessEnv): SandboxEnv {
  return parseEnv(SandboxEnv, env, { what: 'sandbox configuration' });
}

/** The Kubernetes provider's options from the parsed env (the worker's pods and the proxy's in the control namespace). */
export function kubernetesOptionsFromEnv(env: SandboxEnv, logger?: SandboxLogger): KubernetesSandboxProviderOptions {
  const control = env.STRATUS_SANDBOX_CONTROL_NAMESPACE;
  return {
    connection: { kubeconfigPath: env.STRATUS_SANDBOX_KUBECONFIG, context: env.STRATUS_SANDBOX_KUBE_CONTEXT },
    namespace: env.STRATUS_SANDBOX_NAMESPACE,
    runnerImage: env.STRATUS_SANDBOX_RUNNER_IMAGE ?? '',
    runnerPort: env.STRATUS_SANDBOX_RUNNER_PORT,
    runtimeClassName: env.STRATUS_SANDBOX_RUNTIME_CLASS,
    maxLifetimeSeconds: env.STRATUS_SANDBOX_MAX_LIFETIME_SECONDS,
    ttlSecondsAfterFinished: env.STRATUS_SANDBOX_TTL_AFTER_FINISHED_SECONDS,
    startTimeoutMs: env.STRATUS_SANDBOX_START_TIMEOUT_MS,
    workspaceSizeLimit: env.STRATUS_SANDBOX_DISK_LIMIT,
    egressProxy:
      env.STRATUS_EGRESS_PROXY_URL !== undefined && env.STRATUS_EGRESS_PROXY_SIGNING_KEY !== undefined
        ? { url: env.STRATUS_EGRESS_PROXY_URL, signingKey: env.STRATUS_EGRESS_PROXY_SIGNING_KEY }
        : undefined,
    networkPolicies:
      env.STRATUS_SANDBOX_NETWORK_POLICIES === 'external'
        ? false
        : {
            workers: { namespace: control, podLabels: { 'app.kubernetes.io/name': 'stratus', 'app.kubernetes.io/component': 'worker' } },
            egressProxy: {
              namespace: control,
              podLabels: { 'app.kubernetes.io/name': 'stratus', 'app.kubernetes.io/component': 'egress-proxy' },
              port: Number(new URL(env.STRATUS_EGRESS_PROXY_URL ?? 'http://proxy:3128').port || 3128),
            },
          },
    warmPool: { sizes: env.STRATUS_SANDBOX_WARM_POOL, maxIdleMs: env.STRATUS_SANDBOX_WARM_MAX_IDLE_MS },
    logger,
  };
}

/**
 * The local isolation to start with. `auto` falls back to plain processes (with a warning) when
 * bubblewrap is missing, which is fine on a laptop and a silent loss of the sandbox in production:
 * with NODE_ENV=production, `auto` without bwrap refuses to start instead, and running sandboxes as
 * plain processes takes an explicit STRATUS_SANDBOX_ISOLATION=none.
 */
export function localIsolation(env: SandboxEnv, searchPath = process.env.PATH ?? ''): SandboxEnv['STRATUS_SANDBOX_ISOLATION'] {
  if (env.STRATUS_SANDBOX_ISOLATION !== 'auto' || env.NODE_ENV !== 'production') return env.STRATUS_SANDBOX_ISOLATION;
  if (findExecutable('bwrap', searchPath) === undefined) {
    throw new Error(
      'STRATUS_SANDBOX_ISOLATION=auto found no bubblewrap (bwrap) on PATH, and with NODE_ENV=production it does not fall back to running ' +
        'sandboxes as plain processes with the worker\'s file and network access. Install bubblewrap, or set STRATUS_SANDBOX_ISOLATION=none ' +
        'to run them unisolated on purpose.',
    );
  }
  return 'bwrap';
}

/**
 * Where local sandboxes live: STRATUS_SANDBOX_DIR, or by default a directory of the deployment's own
 * under the host's temporary directory, so deployments on one host (each with its own database) never
 * share one.
 */
export function localSandboxDir(env: SandboxEnv, deploymentId: string): string {
  return env.STRATUS_SANDBOX_DIR !== '' ? env.STRATUS_SANDBOX_DIR : path.join(tmpdir(), 'stratus-sandboxes', deploymentId);
}

/**
 * The provider the env asks for: what a worker (or all-in-one) calls once at boot. `deploymentId`
 * (kept in the deployment's database) owns the local sandboxes it creates.
 */
export function createSandboxProvider(env: SandboxEnv, deploymentId: string, logger?: SandboxLogger): SandboxProvider {
  if (env.STRATUS_SANDBOX_PROVIDER === 'kubernetes') return new KubernetesSandboxProvider(kubernetesOptionsFromEnv(env, logger));
  return new LocalSandboxProvider({
    baseDir: localSandboxDir(env, deploymentId),
    owner: deploymentId,
    isolation: localIsolation(env),
    runnerEntry: path.resolve(env.STRATUS_SANDBOX_RUNNER_ENTRY),
    egressProxy: env.STRATUS_SANDBOX_EGRESS_PROXY_ENTRY === undefined ? undefined : { entry: path.resolve(env.STRATUS_SANDBOX_EGRESS_PROXY_ENTRY) },
    diskLimitBytes: parseMemoryQuantity(env.STRATUS_SANDBOX_DISK_LIMIT),
    pidsLimit: env.STRATUS_SANDBOX_PIDS_LIMIT,
    commandTimeoutMs: env.STRATUS_SANDBOX_COMMAND_TIMEOUT_MS,
    spareWorkspaces: env.STRATUS_SANDBOX_SPARE_WORKSPACES,
    warmPool: { sizes: env.STRATUS_SANDBOX_WARM_POOL, maxIdleMs: env.STRATUS_SANDBOX_WARM_MAX_IDLE_MS },
    logger,
  });
}
