/**
 * @module @stratus/nest-common
 * What every Stratus NestJS process shares. A root module imports CoreModule once; feature
 * modules inject the clients by the tokens exported here.
 */
export { Auth, Public, type AuthContext, type Scope, ALL_SCOPES, DEFAULT_SCOPES } from './auth/auth-context';
export { authFailureLimiter, bearerSecret, countFailedAuthentication } from './auth/auth.guard';
export { type SharedRateLimiter } from './auth/shared-rate-limiter';
export { TokensRepository } from './auth/tokens.repository';
export { DEFAULT_WORKSPACE_ID, TokensService } from './auth/tokens.service';
export { applyMigrations, checkPostgres, checkRedis, StartupError } from './bootstrap/dependencies';
export { installProcessGuards } from './bootstrap/process-guards';
export { exitOnStartupError, prepare, startHttp, type StartedApp, type StartHttpOptions } from './bootstrap/start';
export { stopOnSignals } from './bootstrap/signals';
export { envBool, parseServerEnv, ServerEnv } from './config/env';
export { ConcurrencyLimit, type AcquireOptions, type Release } from './concurrency/concurrency-limit';
export { CoreModule } from './core.module';
export { ApiError, conflict, forbidden, invalidRequest, notFound, overloaded, unauthenticated } from './errors/api-error';
export { isDependencyUnavailable, toErrorResponse, type ErrorResponse } from './errors/error-response';
export { type AdmissionOptions } from './http/admission';
export { API_PREFIX, createHttpApp, httpAppOptions, type HttpAppOptions } from './http/create-app';
export { arrayParam, boolParam, createdAtRange, dateParam, enumArrayParam, stringParam, type Query } from './http/query';
export { parseOrThrow } from './http/validation';
export { Readiness } from './health/readiness';
export { InfraModule } from './infra/infra.module';
export { EVENT_STORE, MODEL_CATALOG, PG_POOL, PRISMA, REDIS, SANDBOX_LIFECYCLE_PRODUCER, SECRET_BOX, SERVER_ENV, TURN_PRODUCER } from './infra/tokens';
export { createLogger, PinoNestLogger } from './logger';
