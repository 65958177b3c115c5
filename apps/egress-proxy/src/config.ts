import { MIN_EGRESS_KEY_LENGTH } from '@stratus/sandbox/egress';
import { z } from 'zod';

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
  STRATUS_EGRESS_PROXY_CONNECT_PORTS: z
    .string()
    .default('443')
    .transform((text, ctx) => {
      if (text.trim() === '*') return 'any' as const;
      const ports = text.split(',').map((p) => Number(p.trim()));
      if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65_535)) {
        ctx.addIssue({ code: 'custom', message: 'must be "*" or a comma-separated list of ports' });
        return z.NEVER;
      }
      return ports;
    }),
  STRATUS_EGRESS_PROXY_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface ProxyConfig {
  port: number;
  host: string;
  socketPath?: string;
  signingKeys: string[];
  connectPorts: number[] | 'any';
  allowPrivateAddresses: boolean;
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the proxy's environment once at boot; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): ProxyConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid egress proxy environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    port: e.STRATUS_EGRESS_PROXY_PORT,
    host: e.STRATUS_EGRESS_PROXY_HOST,
    socketPath: e.STRATUS_EGRESS_PROXY_SOCKET,
    signingKeys: e.STRATUS_EGRESS_PROXY_SIGNING_KEYS,
    connectPorts: e.STRATUS_EGRESS_PROXY_CONNECT_PORTS,
    allowPrivateAddresses: e.STRATUS_EGRESS_PROXY_ALLOW_PRIVATE === 'true',
    logLevel: e.LOG_LEVEL,
  };
}
