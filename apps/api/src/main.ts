import { telemetry } from './telemetry';
import 'reflect-metadata';
import { exitOnStartupError, installProcessGuards, prepare, startHttp } from '@stratus/nest-common';
import { ApiAppModule } from './api.module';

async function main(): Promise<void> {
  const { env, logger } = await prepare(process.env);
  installProcessGuards(logger);
  const { url } = await startHttp(ApiAppModule.forRoot(env), env, logger, { afterDrain: () => telemetry.shutdown() });
  logger.info(`Stratus API listening on ${url}`);
}

main().catch(exitOnStartupError);
