import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SecretBox } from '@stratus/db';
import { SECRET_BOX } from '@stratus/nest-common';
import { parseJobPayload } from '@stratus/queues';
import type { SandboxProvider } from '@stratus/sandbox';
import type { Job } from 'bullmq';
import type { QueueProcessor } from '../queues/queue-processor';
import { agentToolSpecs, needsSandbox } from '../tools/tool-catalog';
import { TurnsRepository } from '../turns/turns.repository';
import { SANDBOX_PROVIDER } from '../worker.tokens';
import { SandboxSessionsRepository } from './sandbox-sessions.repository';
import { sandboxSpecOf } from './sandbox-spec';
import { SandboxService } from './sandbox.service';

/** The `sandbox-lifecycle` queue: starts, reaps and destroys sessions' sandboxes, and reconciles orphans. */
@Injectable()
export class SandboxLifecycleProcessor implements QueueProcessor {
  readonly queue = 'sandbox-lifecycle';
  private readonly logger = new Logger(SandboxLifecycleProcessor.name);

  constructor(
    private readonly sandboxes: SandboxService,
    private readonly sessions: SandboxSessionsRepository,
    private readonly turns: TurnsRepository,
    @Inject(SANDBOX_PROVIDER) private readonly provider: SandboxProvider,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async process(job: Job): Promise<void> {
    const payload = parseJobPayload('sandbox-lifecycle', job.data);
    switch (payload.action) {
      case 'provision':
        return this.provision(payload.sessionId);
      case 'reap':
        return this.reap(payload.sessionId);
      case 'destroy':
        return this.sandboxes.destroy(payload.sessionId);
      case 'reconcile':
        return this.reconcile();
    }
  }

  /** Starts the sandbox of a new session whose agent has built-in tools; it is reaped if no turn uses it. */
  private async provision(sessionId: string): Promise<void> {
    const context = await this.turns.loadContext(sessionId);
    if (!context || !needsSandbox(agentToolSpecs(context.agent.tools))) return;
    await this.sandboxes.provision(sandboxSpecOf(context, this.secrets));
    await this.sandboxes.release(sessionId);
  }

  /**
   * Stops the sandbox of a session that has idled out. The reap was scheduled when a turn ended; a turn
   * running now schedules a new one when it ends, so only a session that is not processing is reaped.
   */
  private async reap(sessionId: string): Promise<void> {
    const status = await this.sessions.status(sessionId);
    if (status === 'processing' || status === 'canceling') return;
    await this.sandboxes.destroy(sessionId);
    this.logger.debug({ sessionId, sessionGone: status === undefined }, 'idle sandbox reaped');
  }

  private async reconcile(): Promise<void> {
    const report = await this.provider.reconcile({ liveSessions: (ids) => this.sessions.live(ids) });
    if (report.destroyed.length > 0) this.logger.log({ destroyed: report.destroyed }, 'orphaned sandboxes removed');
  }
}
