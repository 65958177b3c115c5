import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { RateLimitGuard } from './auth/rate-limit.guard';
import { TokensRepository } from './auth/tokens.repository';
import { TokensService } from './auth/tokens.service';
import type { ServerEnv } from './config/env';
import { ErrorFilter } from './errors/error.filter';
import { HealthController } from './health/health.controller';
import { HealthRepository } from './health/health.repository';
import { Readiness } from './health/readiness';
import { InfraModule } from './infra/infra.module';

/**
 * Imported once by each process's root module (a deployable alone, or the all-in-one): the
 * shared clients, token auth and rate limit on every route, the error envelope and the probes.
 * Feature modules (api, gateway, worker) rely on it and never import it themselves, so global
 * guards are registered exactly once.
 */
@Module({})
export class CoreModule {
  static forRoot(env: ServerEnv): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      imports: [InfraModule.forRoot(env)],
      controllers: [HealthController],
      providers: [
        TokensRepository,
        TokensService,
        HealthRepository,
        Readiness,
        // Guards run in this order: who is calling, then whether they are within their budget.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
      exports: [TokensService, TokensRepository, Readiness],
    };
  }
}
