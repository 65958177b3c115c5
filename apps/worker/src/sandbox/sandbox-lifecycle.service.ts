import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { SandboxProvider } from '@stratus/sandbox';
import { queueSettings, type WorkerEnv } from '../config/worker-env';
import { SANDBOX_PROVIDER, WORKER_ENV } from '../worker.tokens';
import { SandboxLifecycleRepository } from './sandbox-lifecycle.repository';
import { SandboxSessionsRepository } from './sandbox-sessions.repository';

/**
 * At start-up, a worker of the sandbox-lifecycle queue sets the deployment's reconciler schedule (an
 * upsert: every such worker sets the same one) and fills the warm pools of the configured environments.
 */
@Injectable()
export class SandboxLifecycleService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SandboxLifecycleService.name);

  constructor(
    private readonly lifecycle: SandboxLifecycleRepository,
    private readonly sessions: SandboxSessionsRepository,
    @Inject(SANDBOX_PROVIDER) private readonly provider: SandboxProvider,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!queueSettings(this.env).some((s) => s.queue === 'sandbox-lifecycle')) return;
    await this.lifecycle.scheduleReconcile(this.env.STRATUS_SANDBOX_RECONCILE_INTERVAL_MS);
    // In the background: warm sandboxes take seconds to start, and boot must not wait for them.
    void this.prewarm().catch((error: unknown) => this.logger.warn({ err: String(error) }, 'warm pools could not be filled'));
  }

  private async prewarm(): Promise<void> {
    const sized = Object.entries(this.env.STRATUS_SANDBOX_WARM_POOL).filter(([, size]) => size > 0).map(([id]) => id);
    for (const environment of await this.sessions.environments(sized)) {
      this.provider.prewarm({
        workspaceId: environment.workspaceId,
        environmentId: environment.id,
        networking: environment.config.networking,
        environmentVariables: {},
        resources: environment.config.resources,
        image: environment.config.image,
        packages: environment.config.packages,
        setupScript: environment.config.setup_script,
      });
    }
  }
}
