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
  })
  .superRefine((env, ctx) => {
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
  };
}
