import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AgentsController } from './agents/agents.controller';
import { AgentsRepository } from './agents/agents.repository';
import { AgentsService } from './agents/agents.service';
import { AuthGuard } from './auth/auth.guard';
import { RateLimitGuard } from './auth/rate-limit.guard';
import { TokensRepository } from './auth/tokens.repository';
import { TokensService } from './auth/tokens.service';
import { ErrorFilter } from './common/error.filter';
import type { ApiEnv } from './config/env';
import { DocsController } from './docs/docs.controller';
import { EnvironmentsController } from './environments/environments.controller';
import { EnvironmentsRepository } from './environments/environments.repository';
import { EnvironmentsService } from './environments/environments.service';
import { EventsController } from './events/events.controller';
import { EventsRepository } from './events/events.repository';
import { EventsService } from './events/events.service';
import { HealthController } from './health/health.controller';
import { HealthRepository } from './health/health.repository';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyRepository } from './idempotency/idempotency.repository';
import { InfraModule } from './infra/infra.module';
import { ModelsController } from './models/models.controller';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsRepository } from './sessions/sessions.repository';
import { SessionsService } from './sessions/sessions.service';

/** The control-plane REST API: every route of the public contract except the event stream. */
@Module({})
export class ApiModule {
  static forRoot(env: ApiEnv): DynamicModule {
    return {
      module: ApiModule,
      imports: [InfraModule.forRoot(env)],
      controllers: [AgentsController, EnvironmentsController, SessionsController, EventsController, ModelsController, HealthController, DocsController],
      providers: [
        AgentsRepository,
        AgentsService,
        EnvironmentsRepository,
        EnvironmentsService,
        SessionsRepository,
        SessionsService,
        EventsRepository,
        EventsService,
        HealthRepository,
        IdempotencyRepository,
        TokensRepository,
        TokensService,
        // Guards run in this order: who is calling, then whether they are within their budget.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
      exports: [TokensService],
    };
  }
}
