import { telemetry } from './telemetry';
import 'reflect-metadata';
import { exitOnStartupError, installProcessGuards, prepare, startHttp } from '@stratus/nest-common';
import { parseGatewayEnv } from './config/gateway-env';
import { GatewayAppModule } from './gateway.module';

async function main(): Promise<void> {
  const gatewayEnv = parseGatewayEnv(process.env);
  const { env, logger } = await prepare(process.env);
  installProcessGuards(logger);
  const { url } = await startHttp(GatewayAppModule.forRoot(env, gatewayEnv), env, logger, { afterDrain: () => telemetry.shutdown() });
  logger.info(`Stratus gateway listening on ${url}`);
}

main().catch(exitOnStartupError);
