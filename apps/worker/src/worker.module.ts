import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { CoreModule } from '@stratus/nest-common';
import { createSandboxProvider } from '@stratus/sandbox';
import type { WorkerEnv } from './config/worker-env';
import { McpConnectionsService } from './mcp/mcp-connections.service';
import { McpCredentialsRepository } from './mcp/mcp-credentials.repository';
import { ModelRepository } from './model/model.repository';
import { QUEUE_PROCESSORS, type QueueProcessor } from './queues/queue-processor';
import { QueueWorkersService } from './queues/queue-workers.service';
import { DeploymentRepository } from './sandbox/deployment.repository';
import { SandboxCapacityService } from './sandbox/sandbox-capacity.service';
import { SandboxLifecycleProcessor } from './sandbox/sandbox-lifecycle.processor';
import { SandboxLifecycleRepository } from './sandbox/sandbox-lifecycle.repository';
import { SandboxLifecycleService } from './sandbox/sandbox-lifecycle.service';
import { SandboxSessionsRepository } from './sandbox/sandbox-sessions.repository';
import { SandboxSlotsRepository } from './sandbox/sandbox-slots.repository';
import { SandboxRepository } from './sandbox/sandbox.repository';
import { SandboxService } from './sandbox/sandbox.service';
import { BuiltinToolsRepository } from './tools/builtin-tools.repository';
import { DeploymentGaugesService } from './telemetry/deployment-gauges.service';
import { SessionTurnsProcessor } from './turns/session-turns.processor';
import { TurnControlRepository } from './turns/turn-control.repository';
import { TurnControlService } from './turns/turn-control.service';
import { TurnRecoveryService } from './turns/turn-recovery.service';
import { TurnRunnerService } from './turns/turn-runner.service';
import { SessionContextRepository } from './turns/session-context.repository';
import { TurnsRepository } from './turns/turns.repository';
import { WebhookDeliveriesRepository } from './webhooks/webhook-deliveries.repository';
import { WebhookDeliveryProcessor } from './webhooks/webhook-delivery.processor';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';
import { WebhookDispatcherService } from './webhooks/webhook-dispatcher.service';
import { WebhookHttpRepository } from './webhooks/webhook-http.repository';
import { workerDatabaseProviders } from './worker-database';
import { SANDBOX_PROVIDER, WORKER_ENV } from './worker.tokens';

/**
 * The worker: BullMQ processors for the queues the environment enables: the agent loop of session
 * turns, the sandbox lifecycle and webhook delivery. It relies on CoreModule, which the process's root module imports once.
 */
@Module({})
export class WorkerModule {
  static register(env: WorkerEnv): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_ENV, useValue: env },
        ...workerDatabaseProviders(env),
        DeploymentRepository,
        {
          provide: SANDBOX_PROVIDER,
          inject: [DeploymentRepository],
          useFactory: async (deployment: DeploymentRepository) => {
            const logger = new Logger('sandbox');
            return createSandboxProvider(env, await deployment.id(), { warn: (details, message) => logger.warn(details, message) });
          },
        },
        SandboxRepository,
        SandboxLifecycleRepository,
        SandboxSessionsRepository,
        SandboxSlotsRepository,
        SandboxCapacityService,
        SandboxService,
        SandboxLifecycleService,
        SandboxLifecycleProcessor,
        BuiltinToolsRepository,
        McpCredentialsRepository,
        McpConnectionsService,
        ModelRepository,
        TurnsRepository,
        SessionContextRepository,
        TurnControlRepository,
        TurnControlService,
        TurnRunnerService,
        TurnRecoveryService,
        SessionTurnsProcessor,
        WebhookDeliveriesRepository,
        WebhookHttpRepository,
        WebhookDeliveryService,
        WebhookDeliveryProcessor,
        WebhookDispatcherService,
        {
          provide: QUEUE_PROCESSORS,
          inject: [SessionTurnsProcessor, SandboxLifecycleProcessor, WebhookDeliveryProcessor],
          useFactory: (turns: SessionTurnsProcessor, lifecycle: SandboxLifecycleProcessor, webhooks: WebhookDeliveryProcessor): QueueProcessor[] => [turns, lifecycle, webhooks],
        },
        QueueWorkersService,
        DeploymentGaugesService,
      ],
    };
  }
}

/** The root module of the worker deployed on its own (HTTP only for the health probes). */
@Module({})
export class WorkerAppModule {
  static forRoot(env: WorkerEnv): DynamicModule {
    return { module: WorkerAppModule, imports: [CoreModule.forRoot(env), WorkerModule.register(env)] };
  }
}
