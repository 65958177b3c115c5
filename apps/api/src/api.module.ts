import { type DynamicModule, Module } from '@nestjs/common';
import { CoreModule, type ServerEnv } from '@stratus/nest-common';
import { AgentsController } from './agents/agents.controller';
import { AgentsRepository } from './agents/agents.repository';
import { AgentsService } from './agents/agents.service';
import { DocsController } from './docs/docs.controller';
import { EnvironmentLimits } from './environments/environment-limits';
import { EnvironmentsController } from './environments/environments.controller';
import { EnvironmentsRepository } from './environments/environments.repository';
import { EnvironmentsService } from './environments/environments.service';
import { EventsController } from './events/events.controller';
import { EventsRepository } from './events/events.repository';
import { EventsService } from './events/events.service';
import { IdempotencyJanitor } from './idempotency/idempotency-janitor.service';
import { IdempotencyRepository } from './idempotency/idempotency.repository';
import { ModelsController } from './models/models.controller';
import { QUEUE_DASHBOARD_CONFIG, QueueDashboard } from './queue-dashboard/queue-dashboard';
import { queueDashboardConfig } from './queue-dashboard/queue-dashboard.config';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsRepository } from './sessions/sessions.repository';
import { SessionsService } from './sessions/sessions.service';
import { DispatchRepository } from './turns/dispatch.repository';
import { WebhookUrlPolicy } from './webhooks/webhook-url-policy';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksRepository } from './webhooks/webhooks.repository';
import { WebhooksService } from './webhooks/webhooks.service';
import { VaultsController } from './vaults/vaults.controller';
import { VaultsRepository } from './vaults/vaults.repository';
import { VaultsService } from './vaults/vaults.service';

/**
 * The control-plane REST API: every route of the public contract except the event stream.
 * It relies on CoreModule, which the process's root module imports once.
 */
@Module({
  controllers: [AgentsController, EnvironmentsController, SessionsController, EventsController, WebhooksController, VaultsController, ModelsController, DocsController],
  providers: [
    AgentsRepository,
    AgentsService,
    EnvironmentsRepository,
    EnvironmentsService,
    { provide: EnvironmentLimits, useFactory: () => EnvironmentLimits.fromEnv(process.env) },
    SessionsRepository,
    SessionsService,
    EventsRepository,
    EventsService,
    IdempotencyRepository,
    IdempotencyJanitor,
    DispatchRepository,
    WebhooksRepository,
    WebhooksService,
    { provide: WebhookUrlPolicy, useFactory: () => WebhookUrlPolicy.fromEnv(process.env) },
    VaultsRepository,
    VaultsService,
    { provide: QUEUE_DASHBOARD_CONFIG, useFactory: () => queueDashboardConfig(process.env) },
    QueueDashboard,
  ],
})
export class ApiModule {}

/** The root module of the API deployed on its own. */
@Module({})
export class ApiAppModule {
  static forRoot(env: ServerEnv): DynamicModule {
    return { module: ApiAppModule, imports: [CoreModule.forRoot(env), ApiModule] };
  }
}
