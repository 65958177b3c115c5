import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MIN_EGRESS_KEY_LENGTH } from './egress/egress-credential';
import { KubernetesSandboxProvider, type KubernetesSandboxProviderOptions } from './kubernetes/kubernetes-provider';
import { parseMemoryQuantity } from './local/cgroups';
import { LocalSandboxProvider, type SandboxLogger } from './local/local-provider';
import type { SandboxProvider } from './provider';

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The worker's sandbox settings, from env. Defaults run local sandboxes on a laptop. */
export const SandboxEnv = z
  .object({
    STRATUS_SANDBOX_PROVIDER: z.enum(['local', 'kubernetes']).default('local'),
    // local
    STRATUS_SANDBOX_DIR: z.string().min(1).default(path.join(tmpdir(), 'stratus-sandboxes')),
    STRATUS_SANDBOX_ISOLATION: z.enum(['auto', 'bwrap', 'none']).default('auto'),
    STRATUS_SANDBOX_EGRESS_PROXY_ENTRY: optionalText,
    STRATUS_SANDBOX_DISK_LIMIT: z
      .string()
      .default('10Gi')
      .refine((quantity) => parseMemoryQuantity(quantity) !== undefined, 'must be a size like "10Gi"')
      .transform((quantity) => parseMemoryQuantity(quantity) ?? 0),
    STRATUS_SANDBOX_PIDS_LIMIT: z.coerce.number().int().min(16).default(512),
    STRATUS_SANDBOX_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),
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
    // both
    STRATUS_SANDBOX_WARM_POOL: json(z.record(z.string(), z.coerce.number().int().min(0).max(100))).default({}),
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
  const parsed = SandboxEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid sandbox configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
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

/** The provider the env asks for: what a worker (or all-in-one) calls once at boot. */
export function createSandboxProvider(env: SandboxEnv, logger?: SandboxLogger): SandboxProvider {
  if (env.STRATUS_SANDBOX_PROVIDER === 'kubernetes') return new KubernetesSandboxProvider(kubernetesOptionsFromEnv(env, logger));
  return new LocalSandboxProvider({
    baseDir: env.STRATUS_SANDBOX_DIR,
    isolation: env.STRATUS_SANDBOX_ISOLATION,
    egressProxy: env.STRATUS_SANDBOX_EGRESS_PROXY_ENTRY === undefined ? undefined : { entry: path.resolve(env.STRATUS_SANDBOX_EGRESS_PROXY_ENTRY) },
    diskLimitBytes: env.STRATUS_SANDBOX_DISK_LIMIT,
    pidsLimit: env.STRATUS_SANDBOX_PIDS_LIMIT,
    commandTimeoutMs: env.STRATUS_SANDBOX_COMMAND_TIMEOUT_MS,
    warmPool: { sizes: env.STRATUS_SANDBOX_WARM_POOL, maxIdleMs: env.STRATUS_SANDBOX_WARM_MAX_IDLE_MS },
    logger,
  });
}
