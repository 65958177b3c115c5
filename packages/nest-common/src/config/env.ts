import { parseEnv } from '@stratus/contracts';
import { DATABASE_DEFAULTS } from '@stratus/db';
import { z } from 'zod';

/** Deepest nesting of arrays and objects a JSON request body may have. */
export const DEFAULT_BODY_MAX_DEPTH = 64;

/** The bootstrap token .env.example ships: public, so only ever right on a laptop. */
export const QUICKSTART_BOOTSTRAP_TOKEN = 'pt-quickstart-local-development-token';

/** A boolean variable: true/false or 1/0. */
export const envBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every variable a Stratus server process reads, with defaults that work on a laptop. Parsed once at boot. */
export const ServerEnv = z.object({
  DATABASE_URL: z.url().default('postgresql://postgres@127.0.0.1:5432/stratus'),
  /** Connections of the process's one pool (Prisma and the statements written in SQL share it) for the API, the gateway and auth (a worker has a pool of its own). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(DATABASE_DEFAULTS.poolSize),
  /** How long a query or transaction waits for a pooled connection; past it the request answers 503. */
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(100).default(DATABASE_DEFAULTS.poolTimeoutMs),
  /** The longest a transaction may stay open before it is rolled back. */
  DATABASE_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(DATABASE_DEFAULTS.transactionTimeoutMs),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  REDIS_KEY_PREFIX: z.string().default('stratus:'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
  /** How long an in-flight Idempotency-Key claim holds the key before a retry may take it over. */
  STRATUS_IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(1000).default(120_000),
  /** Deeper JSON bodies answer 400 (nothing downstream has to walk an unbounded tree). */
  BODY_MAX_DEPTH: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_BODY_MAX_DEPTH),
  /**
   * API requests one process works on at once (SSE streams and probes are not counted). More wait in
   * line, in order, for STRATUS_API_QUEUE_TIMEOUT_MS; past it they answer 503 with retry-after before
   * anything of theirs is read or stored.
   */
  STRATUS_API_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100_000).default(256),
  STRATUS_API_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(0).default(5000),
  /** Requests per token per window; 0 disables the limit. */
  RATE_LIMIT_REQUESTS: z.coerce.number().int().min(0).default(6000),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  /** How long a verified token is trusted without asking PostgreSQL again (revocation delay). */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5000),
  /** Most verified tokens kept in that cache (least recently used ones leave first). */
  AUTH_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(10_000),
  /** How long an unknown or revoked token is answered 401 without asking PostgreSQL again; 0 disables. */
  AUTH_NEGATIVE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(10_000),
  /** Most unknown tokens kept in that cache. */
  AUTH_NEGATIVE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(10_000),
  /** Failed authentications per client address per window before it is answered 429; 0 disables. */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).default(100),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  /** Encrypts secrets at rest (session environment variables, webhook secrets). */
  STRATUS_ENCRYPTION_KEY: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  /** A token ensured at start-up for the default workspace, for scripts and demos. */
  STRATUS_BOOTSTRAP_TOKEN: z
    .string()
    .regex(/^pt-[A-Za-z0-9_-]{16,128}$/, { message: 'must look like pt-<16 to 128 letters, digits, "_" or "-">' })
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: coloured one-line logs when stdout is a terminal, JSON lines otherwise. */
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  NODE_ENV: z.string().default('development'),
  /** How long a SIGINT/SIGTERM drain may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** Apply pending migrations when the process starts. */
  MIGRATE_ON_START: envBool.default(true),
});
export type ServerEnv = z.infer<typeof ServerEnv>;

/** The development-only key used when STRATUS_ENCRYPTION_KEY is unset outside production. */
export const DEV_ENCRYPTION_KEY = 'stratus-development-key-do-not-use-in-production';

/** Parses the environment or explains, naming each bad variable, why it cannot. */
export function parseServerEnv(env: NodeJS.ProcessEnv): ServerEnv {
  const parsed = parseEnv(ServerEnv, env);
  if (parsed.NODE_ENV === 'production' && !parsed.STRATUS_ENCRYPTION_KEY) {
    throw new Error('invalid configuration:\n  STRATUS_ENCRYPTION_KEY: required when NODE_ENV=production');
  }
  if (parsed.NODE_ENV === 'production' && parsed.STRATUS_BOOTSTRAP_TOKEN === QUICKSTART_BOOTSTRAP_TOKEN) {
    throw new Error(
      'invalid configuration:\n  STRATUS_BOOTSTRAP_TOKEN: the quickstart token from .env.example is public and refused when NODE_ENV=production; ' +
        'set a secret one (for example pt-$(openssl rand -hex 24)) or unset it',
    );
  }
  return parsed;
}
