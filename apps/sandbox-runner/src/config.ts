// The env helper alone: the process loads none of the API's schemas.
import { parseEnv } from '@stratus/contracts/env';
import { RunnerEnv, type Networking } from '@stratus/sandbox-protocol';

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
  const e = parseEnv(RunnerEnv, env, { what: 'sandbox runner environment', error: (message) => new ConfigError(message) });
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
