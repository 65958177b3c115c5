"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DEV_ENCRYPTION_KEY = exports.ApiEnv = void 0;
exports.parseApiEnv = parseApiEnv;
var zod_1 = require("zod");
var bool = zod_1.z.enum(['true', 'false', '1', '0']).transform(function (v) { return v === 'true' || v === '1'; });
/** Every variable the API reads, with defaults that work on a laptop. Parsed once at boot. */
exports.ApiEnv = zod_1.z.object({
    DATABASE_URL: zod_1.z.url().default('postgresql://postgres@127.0.0.1:5432/stratus'),
    DATABASE_POOL_SIZE: zod_1.z.coerce.number().int().min(1).max(200).default(10),
    REDIS_URL: zod_1.z.url().default('redis://127.0.0.1:6379'),
    /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
    REDIS_KEY_PREFIX: zod_1.z.string().default('stratus:'),
    PORT: zod_1.z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: zod_1.z.string().default('0.0.0.0'),
    BODY_LIMIT_BYTES: zod_1.z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
    /** Requests per token per window; 0 disables the limit. */
    RATE_LIMIT_REQUESTS: zod_1.z.coerce.number().int().min(0).default(6000),
    RATE_LIMIT_WINDOW_SECONDS: zod_1.z.coerce.number().int().min(1).default(60),
    /** How long a verified token is trusted without asking PostgreSQL again (revocation delay). */
    AUTH_CACHE_TTL_MS: zod_1.z.coerce.number().int().min(0).default(5000),
    /** Encrypts secrets at rest (session environment variables, webhook secrets). */
    STRATUS_ENCRYPTION_KEY: zod_1.z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
    /** A token ensured at start-up for the default workspace, for scripts and demos. */
    STRATUS_BOOTSTRAP_TOKEN: zod_1.z
        .string()
        .regex(/^pt-[A-Za-z0-9_-]{16,128}$/, { message: 'must look like pt-<16 to 128 letters, digits, "_" or "-">' })
        .optional(),
    LOG_LEVEL: zod_1.z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    NODE_ENV: zod_1.z.string().default('development'),
    /** Apply pending migrations when the process starts. */
    MIGRATE_ON_START: bool.default(true),
});
/** The development-only key used when STRATUS_ENCRYPTION_KEY is unset outside production. */
exports.DEV_ENCRYPTION_KEY = 'stratus-development-key-do-not-use-in-production';
/** Parses the environment or explains, naming each bad variable, why it cannot. */
function parseApiEnv(env) {
    var parsed = exports.ApiEnv.safeParse(env);
    if (!parsed.success) {
        var lines = parsed.error.issues.map(function (issue) { return "  ".concat(issue.path.join('.'), ": ").concat(issue.message); });
        throw new Error("invalid configuration:\n".concat(lines.join('\n')));
    }
    if (parsed.data.NODE_ENV === 'production' && !parsed.data.STRATUS_ENCRYPTION_KEY) {
        throw new Error('invalid configuration:\n  STRATUS_ENCRYPTION_KEY: required when NODE_ENV=production');
    }
    return parsed.data;
}
