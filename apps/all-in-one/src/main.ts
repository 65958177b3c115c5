import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { ApiModule } from '@stratus/api';
import { CoreModule, exitOnStartupError, prepare, startHttp, type ServerEnv } from '@stratus/nest-common';

/**
 * The all-in-one composition. The deployables stay separate apps; this process only imports
 * their feature modules over one CoreModule, so there is one code path whether they run
 * together or apart.
 */
@Module({})
class AllInOneModule {
  static forRoot(env: ServerEnv): DynamicModule {
    return { module: AllInOneModule, imports: [CoreModule.forRoot(env), ApiModule] };
  }
}

async function main(): Promise<void> {
  const { env, logger } = await prepare(process.env);
  const { url } = await startHttp(AllInOneModule.forRoot(env), env, logger);
  logger.info(`Stratus (all-in-one) listening on ${url} — API reference at ${url}/docs`);
}

main().catch(exitOnStartupError);
