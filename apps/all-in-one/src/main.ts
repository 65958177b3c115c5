import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { ApiModule, exitOnStartupError, prepare, startHttp, type ApiEnv } from '@stratus/api';

/**
 * The all-in-one composition. The deployables stay separate apps; this process only imports
 * their root modules, so there is one code path whether they run together or apart.
 */
@Module({})
class AllInOneModule {
  static forRoot(env: ApiEnv): DynamicModule {
    return { module: AllInOneModule, imports: [ApiModule.forRoot(env)] };
  }
}

async function main(): Promise<void> {
  const { env, logger } = await prepare(process.env);
  const { url } = await startHttp(AllInOneModule.forRoot(env), env, logger);
  logger.info(`Stratus (all-in-one) listening on ${url} — API reference at ${url}/docs`);
}

main().catch(exitOnStartupError);
