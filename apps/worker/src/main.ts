import { telemetry } from './telemetry';
import 'reflect-metadata';
import { exitOnStartupError, installProcessGuards, prepare, startHttp } from '@stratus/nest-common';
import { parseWorkerEnv } from './config/worker-env';
import { WorkerAppModule } from './worker.module';

async function main(): Promise<void> {
  // Before anything connects: a bad variable stops the process with its name.
  const env = parseWorkerEnv(process.env);
  const { logger } = await prepare(process.env);
  installProcessGuards(logger);
  const { url } = await startHttp(WorkerAppModule.forRoot(env), env, logger, { afterDrain: () => telemetry.shutdown() });
  logger.info(`Stratus worker running; health probes on ${url}/healthz`);
}

main().catch(exitOnStartupError);
