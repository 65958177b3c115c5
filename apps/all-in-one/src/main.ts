import { telemetry } from './telemetry';
import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { ApiModule } from '@stratus/api';
import { GatewayModule, parseGatewayEnv, type GatewayEnv } from '@stratus/gateway';
import { CoreModule, exitOnStartupError, installProcessGuards, prepare, startHttp } from '@stratus/nest-common';
import { parseWorkerEnv, WorkerModule, type WorkerEnv } from '@stratus/worker';

/**
 * The all-in-one composition. The deployables stay separate apps; this process only imports
 * their feature modules over one CoreModule, so there is one code path whether they run
 * together or apart.
 */
@Module({})
class AllInOneModule {
  static forRoot(env: WorkerEnv, gatewayEnv: GatewayEnv): DynamicModule {
    return { module: AllInOneModule, imports: [CoreModule.forRoot(env), ApiModule, GatewayModule.forRoot(gatewayEnv), WorkerModule.register(env)] };
  }
}

async function main(): Promise<void> {
  // The worker's variables extend every server's: one parse, failing fast on any bad one.
  const env = parseWorkerEnv(process.env);
  const gatewayEnv = parseGatewayEnv(process.env);
  const { logger } = await prepare(process.env);
  installProcessGuards(logger);
  const { url } = await startHttp(AllInOneModule.forRoot(env, gatewayEnv), env, logger, { afterDrain: () => telemetry.shutdown() });
  logger.info(`Stratus (all-in-one) listening on ${url} — API reference at ${url}/docs`);
}

main().catch(exitOnStartupError);
