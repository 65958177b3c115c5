import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { CoreModule } from '@stratus/nest-common';
import { createSandboxProvider } from '@stratus/sandbox';
import type { WorkerEnv } from './config/worker-env';
import { McpConnectionsService } from './mcp/mcp-connections.service';
import { McpCredentialsRepository } from './mcp/mcp-credentials.repository';
import { ModelRepository } from './model/model.repository';
import { QUEUE_PROCESSORS, type QueueProcessor } from './queues/queue-processor';
import { QueueWorkersService } from './queues/queue-workers.service';
import { SandboxLifecycleProcessor } from './sandbox/sandbox-lifecycle.processor';
import { SandboxLifecycleRepository } from './sandbox/sandbox-lifecycle.repository';
import { SandboxLifecycleService } from './sandbox/sandbox-lifecycle.service';
import { SandboxSessionsRepository } from './sandbox/sandbox-sessions.repository';
import { SandboxRepository } from './sandbox/sandbox.repository';
import { SandboxService } from './sandbox/sandbox.service';
import { BuiltinToolsRepository } from './tools/builtin-tools.repository';
import { SessionTurnsProcessor } from './turns/session-turns.processor';
import { TurnControlRepository } from './turns/turn-control.repository';
import { TurnControlService } from './turns/turn-control.service';
import { TurnJobsRepository } from './turns/turn-jobs.repository';
import { TurnRecoveryService } from './turns/turn-recovery.service';
import { TurnRunnerService } from './turns/turn-runner.service';
import { TurnsRepository } from './turns/turns.repository';
import { SANDBOX_PROVIDER, WORKER_ENV } from './worker.tokens';

/**
 * The worker: BullMQ processors for the queues the environment enables: the agent loop of session
 * turns and the sandbox lifecycle. It relies on CoreModule, which the process's root module imports once.
 */
@Module({})
export class WorkerModule {
  static register(env: WorkerEnv): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_ENV, useValue: env },
        {
          provide: SANDBOX_PROVIDER,
          useFactory: () => {
            const logger = new Logger('sandbox');
            return createSandboxProvider(env, { warn: (details, message) => logger.warn(details, message) });
          },
        },
        SandboxRepository,
        SandboxLifecycleRepository,
        SandboxSessionsRepository,
        SandboxService,
        SandboxLifecycleService,
        SandboxLifecycleProcessor,
        BuiltinToolsRepository,
        McpCredentialsRepository,
        McpConnectionsService,
        ModelRepository,
        TurnsRepository,
        TurnJobsRepository,
        TurnControlRepository,
        TurnControlService,
        TurnRunnerService,
        TurnRecoveryService,
        SessionTurnsProcessor,
        {
          provide: QUEUE_PROCESSORS,
          inject: [SessionTurnsProcessor, SandboxLifecycleProcessor],
          useFactory: (turns: SessionTurnsProcessor, lifecycle: SandboxLifecycleProcessor): QueueProcessor[] => [turns, lifecycle],
        },
        QueueWorkersService,
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
