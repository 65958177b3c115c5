import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { TokensService } from '../auth/tokens.service';
import { createLogger } from '../logger';
import { type ServerEnv, parseServerEnv } from '../config/env';
import { createHttpApp, httpAppOptions } from '../http/create-app';
import { applyMigrations, checkPostgres, checkRedis, StartupError } from './dependencies';
import { stopOnSignals } from './signals';

export interface StartedApp {
  app: NestFastifyApplication;
  env: ServerEnv;
  logger: Logger;
  /** The bound address, e.g. http://127.0.0.1:8080. */
  url: string;
}

/**
 * Prepares what every Stratus process needs before it serves: the environment, reachable
 * PostgreSQL and Redis, an up-to-date schema and the schema migrated.
 */
export async function prepare(processEnv: NodeJS.ProcessEnv): Promise<{ env: ServerEnv; logger: Logger }> {
  const env = parseServerEnv(processEnv);
  const logger = createLogger(env.LOG_LEVEL, env.LOG_FORMAT);
  await checkPostgres(env.DATABASE_URL);
  await checkRedis(env.REDIS_URL);
  if (env.MIGRATE_ON_START) await applyMigrations(env.DATABASE_URL, (m) => logger.info(m));
  return { env, logger };
}

/** Listens on PORT/HOST, turning the two usual failures into one line that says what to do. */
async function listen(app: NestFastifyApplication, env: ServerEnv): Promise<void> {
  try {
    await app.listen({ port: env.PORT, host: env.HOST });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${env.PORT} on ${env.HOST} is already in use: stop what holds it, or set PORT to a free port.`);
    if (code === 'EACCES') throw new StartupError(`no permission to listen on port ${env.PORT} on ${env.HOST}: set PORT to a port above 1023.`);
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`HOST ${env.HOST} is not an address of this machine: set HOST (0.0.0.0 listens on every address).`);
    throw error;
  }
}

export interface StartHttpOptions {
  /** Runs after the drain on SIGINT/SIGTERM, before the process exits: the app's telemetry shutdown (its last export). */
  afterDrain?: () => Promise<void>;
}

/** Builds and starts the HTTP app of a root module that imports CoreModule. */
export async function startHttp(rootModule: unknown, env: ServerEnv, logger: Logger, options: StartHttpOptions = {}): Promise<StartedApp> {
  const app = await createHttpApp(rootModule, httpAppOptions(env, logger));
  await app.init();
  if (env.STRATUS_BOOTSTRAP_TOKEN) await app.get(TokensService).ensureBootstrapToken(env.STRATUS_BOOTSTRAP_TOKEN);
  await listen(app, env);
  stopOnSignals(app, logger, env.SHUTDOWN_TIMEOUT_MS, options.afterDrain);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const url = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${port}`;
  return { app, env, logger, url };
}

/** Prints a start-up failure for a person and exits non-zero. */
export function exitOnStartupError(error: unknown): never {
  const message = error instanceof StartupError || (error instanceof Error && error.message.startsWith('invalid configuration')) ? error.message : String((error as Error)?.stack ?? error);
  process.stderr.write(`stratus: cannot start: ${message}\n`);
  process.exit(1);
}
