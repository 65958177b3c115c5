// The env helper alone: the process loads none of the API's schemas.
import { parseEnv } from '@stratus/contracts/env';
import { MIN_EGRESS_KEY_LENGTH } from '@stratus/sandbox/egress';
import { z } from 'zod';

/** `*` for any port, or a comma-separated list of ports. */
const portList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      if (text.trim() === '*') return 'any' as const;
      const ports = text.split(',').map((p) => Number(p.trim()));
      if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65_535)) {
        ctx.addIssue({ code: 'custom', message: 'must be "*" or a comma-separated list of ports' });
        return z.NEVER;
      }
      return ports;
    });

const Env = z.object({
  STRATUS_EGRESS_PROXY_PORT: z.coerce.number().int().min(0).max(65_535).default(3128),
  STRATUS_EGRESS_PROXY_HOST: z.string().min(1).default('0.0.0.0'),
  // Listen on this Unix socket instead of host:port: how a worker's local (bubblewrap) sandboxes reach it.
  STRATUS_EGRESS_PROXY_SOCKET: z.string().min(1).optional(),
  // Comma-separated; during a rotation both the new and the old key verify.
  STRATUS_EGRESS_PROXY_SIGNING_KEYS: z
    .string()
    .transform((text) => text.split(',').map((key) => key.trim()).filter((key) => key !== ''))
    .pipe(z.array(z.string().min(MIN_EGRESS_KEY_LENGTH, `each key must be at least ${MIN_EGRESS_KEY_LENGTH} characters`)).min(1, 'at least one key')),
  STRATUS_EGRESS_PROXY_CONNECT_PORTS: portList('443'),
  STRATUS_EGRESS_PROXY_HTTP_PORTS: portList('80'),
  STRATUS_EGRESS_PROXY_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(300),
  STRATUS_EGRESS_PROXY_MAX_CONNECTIONS_PER_CREDENTIAL: z.coerce.number().int().min(1).default(64),
  // Set on Kubernetes: the namespace of the sandboxes whose credentials the proxy checks are still alive.
  STRATUS_EGRESS_PROXY_SANDBOX_NAMESPACE: z.string().trim().min(1).optional(),
  STRATUS_EGRESS_PROXY_KUBECONFIG: z.string().trim().min(1).optional(),
  STRATUS_EGRESS_PROXY_SANDBOX_CHECK_CACHE_MS: z.coerce.number().int().min(0).default(5000),
  STRATUS_EGRESS_PROXY_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface ProxyConfig {
  port: number;
  host: string;
  socketPath?: string;
  signingKeys: string[];
  connectPorts: number[] | 'any';
  forwardPorts: number[] | 'any';
  idleTimeoutMs: number;
  maxConnectionsPerCredential: number;
  /** Where to check the sandboxes that credentials are bound to; undefined: bound credentials are refused. */
  sandboxCheck?: { namespace: string; kubeconfigPath?: string; cacheMs: number };
  allowPrivateAddresses: boolean;
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the proxy's environment once at boot; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): ProxyConfig {
  const e = parseEnv(Env, env, { what: 'egress proxy environment', error: (message) => new ConfigError(message) });
  return {
    port: e.STRATUS_EGRESS_PROXY_PORT,
    host: e.STRATUS_EGRESS_PROXY_HOST,
    socketPath: e.STRATUS_EGRESS_PROXY_SOCKET,
    signingKeys: e.STRATUS_EGRESS_PROXY_SIGNING_KEYS,
    connectPorts: e.STRATUS_EGRESS_PROXY_CONNECT_PORTS,
    forwardPorts: e.STRATUS_EGRESS_PROXY_HTTP_PORTS,
    idleTimeoutMs: e.STRATUS_EGRESS_PROXY_IDLE_TIMEOUT_SECONDS * 1000,
    maxConnectionsPerCredential: e.STRATUS_EGRESS_PROXY_MAX_CONNECTIONS_PER_CREDENTIAL,
    sandboxCheck:
      e.STRATUS_EGRESS_PROXY_SANDBOX_NAMESPACE === undefined
        ? undefined
        : { namespace: e.STRATUS_EGRESS_PROXY_SANDBOX_NAMESPACE, kubeconfigPath: e.STRATUS_EGRESS_PROXY_KUBECONFIG, cacheMs: e.STRATUS_EGRESS_PROXY_SANDBOX_CHECK_CACHE_MS },
    allowPrivateAddresses: e.STRATUS_EGRESS_PROXY_ALLOW_PRIVATE === 'true',
    logLevel: e.LOG_LEVEL,
  };
}
