import { z } from 'zod';
import { Networking } from './networking';

const JsonNetworking = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(Networking);

const JsonVariables = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.string()));

const Env = z
  .object({
    STRATUS_RUNNER_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    STRATUS_RUNNER_SOCKET: z.string().min(1).optional(),
    STRATUS_RUNNER_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    STRATUS_RUNNER_HOST: z.string().min(1).default('0.0.0.0'),
    STRATUS_WORKSPACE_DIR: z.string().min(1).refine((dir) => dir.startsWith('/'), 'must be an absolute path'),
    // Fail closed: a runner started without a policy gets no egress through fetch.
    STRATUS_RUNNER_NETWORKING: JsonNetworking.default({ type: 'none' }),
    // The local provider keeps a pipe on stdin; its closing means the worker died, so the runner goes too.
    STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE: z.enum(['0', '1']).default('0'),
    // The session's variables, for commands only (the local provider never puts them in a host process's environment).
    STRATUS_RUNNER_COMMAND_ENV: JsonVariables.default({}),
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

export type ListenTarget = { socketPath: string } | { host: string; port: number };

export interface RunnerConfig {
  token: string;
  listen: ListenTarget;
  workspaceDir: string;
  networking: Networking;
  exitOnStdinClose: boolean;
  commandEnv: Record<string, string>;
  egress?: { socketPath: string; credential: string };
  maxCommandMs: number;
  memoryLimit?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the runner's environment once at boot; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): RunnerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid sandbox runner environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    token: e.STRATUS_RUNNER_TOKEN,
    listen:
      e.STRATUS_RUNNER_SOCKET !== undefined
        ? { socketPath: e.STRATUS_RUNNER_SOCKET }
        : { host: e.STRATUS_RUNNER_HOST, port: e.STRATUS_RUNNER_PORT ?? 0 },
    workspaceDir: e.STRATUS_WORKSPACE_DIR,
    networking: e.STRATUS_RUNNER_NETWORKING,
    exitOnStdinClose: e.STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE === '1',
    commandEnv: e.STRATUS_RUNNER_COMMAND_ENV,
    egress:
      e.STRATUS_RUNNER_EGRESS_SOCKET !== undefined && e.STRATUS_RUNNER_EGRESS_CREDENTIAL !== undefined
        ? { socketPath: e.STRATUS_RUNNER_EGRESS_SOCKET, credential: e.STRATUS_RUNNER_EGRESS_CREDENTIAL }
        : undefined,
    maxCommandMs: e.STRATUS_RUNNER_MAX_COMMAND_MS,
    memoryLimit: e.STRATUS_RUNNER_MEMORY_LIMIT,
  };
}
