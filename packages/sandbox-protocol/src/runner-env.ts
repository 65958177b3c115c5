import { z } from 'zod';
import { jsonText } from './json-text';
import { Networking } from './networking';

/**
 * The runner's environment: what the runner parses at boot and what the local provider, the
 * Kubernetes manifests and the fake kubelet set. Builders type their variables as `RunnerEnvironment`,
 * so a renamed or misspelt variable is a compile error rather than a runner that will not start.
 */
export const RunnerEnv = z
  .object({
    STRATUS_RUNNER_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    STRATUS_RUNNER_SOCKET: z.string().min(1).optional(),
    STRATUS_RUNNER_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    STRATUS_RUNNER_HOST: z.string().min(1).default('0.0.0.0'),
    STRATUS_WORKSPACE_DIR: z.string().min(1).refine((dir) => dir.startsWith('/'), 'must be an absolute path'),
    // Fail closed: a runner started without a policy gets no egress through fetch.
    STRATUS_RUNNER_NETWORKING: jsonText(Networking).default({ type: 'none' }),
    // The local provider keeps a pipe on stdin; its closing means the worker died, so the runner goes too.
    STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE: z.enum(['0', '1']).default('0'),
    // The session's variables, for commands only (the local provider never puts them in a host process's environment).
    STRATUS_RUNNER_COMMAND_ENV: jsonText(z.record(z.string(), z.string())).default({}),
    // The egress proxy's Unix socket inside the sandbox and this sandbox's credential ("<user>:<signed grant>"):
    // the runner bridges a loopback port to it and points commands' HTTP(S)_PROXY there.
    STRATUS_RUNNER_EGRESS_SOCKET: z.string().min(1).optional(),
    STRATUS_RUNNER_EGRESS_CREDENTIAL: z.string().regex(/^[^:]+:.+$/, 'must be <user>:<password>').optional(),
    // No command runs longer than this, whatever its call asks for.
    STRATUS_RUNNER_MAX_COMMAND_MS: z.coerce.number().int().min(1000).default(600_000),
    // The sandbox's memory limit as configured ("256Mi"), named when a command is killed for it.
    STRATUS_RUNNER_MEMORY_LIMIT: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if ((env.STRATUS_RUNNER_EGRESS_SOCKET === undefined) !== (env.STRATUS_RUNNER_EGRESS_CREDENTIAL === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['STRATUS_RUNNER_EGRESS_CREDENTIAL'], message: 'set both STRATUS_RUNNER_EGRESS_SOCKET and STRATUS_RUNNER_EGRESS_CREDENTIAL, or neither' });
    }
    if ((env.STRATUS_RUNNER_SOCKET === undefined) === (env.STRATUS_RUNNER_PORT === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['STRATUS_RUNNER_SOCKET'], message: 'set exactly one of STRATUS_RUNNER_SOCKET and STRATUS_RUNNER_PORT' });
    }
  });
export type RunnerEnv = z.infer<typeof RunnerEnv>;

/** The name of one of the runner's variables. */
export type RunnerEnvName = keyof z.input<typeof RunnerEnv>;

/** Variables as a launcher sets them for the runner: each one a string, each name one the runner reads. */
export type RunnerEnvironment = { [Name in RunnerEnvName]?: string };
