import { Inject, Injectable, Logger } from '@nestjs/common';
import { parseJobPayload } from '@stratus/queues';
import type { SandboxProvider } from '@stratus/sandbox';
import type { Job } from 'bullmq';
import type { QueueProcessor } from '../queues/queue-processor';
import { SANDBOX_PROVIDER } from '../worker.tokens';
import { SandboxSessionsRepository } from './sandbox-sessions.repository';
import { SandboxService } from './sandbox.service';

/**
 * The `sandbox-lifecycle` queue: reaps sessions' sandboxes (idled out, or evicted to make room under a
 * cap), destroys those of deleted sessions, and reconciles orphans. Nothing starts a sandbox here: a
 * turn does, when it first needs one.
 */
@Injectable()
export class SandboxLifecycleProcessor implements QueueProcessor {
  readonly queue = 'sandbox-lifecycle';
  private readonly logger = new Logger(SandboxLifecycleProcessor.name);

  constructor(
    private readonly sandboxes: SandboxService,
    private readonly sessions: SandboxSessionsRepository,
    @Inject(SANDBOX_PROVIDER) private readonly provider: SandboxProvider,
  ) {}

  async process(job: Job): Promise<void> {
    const payload = parseJobPayload('sandbox-lifecycle', job.data);
    switch (payload.action) {
      case 'reap':
        return this.sandboxes.reap(payload.sessionId);
      case 'destroy':
        return this.sandboxes.destroy(payload.sessionId);
      case 'reconcile':
        return this.reconcile();
    }
  }

  private async reconcile(): Promise<void> {
    const report = await this.provider.reconcile({ liveSessions: (ids) => this.sessions.live(ids) });
    if (report.destroyed.length > 0) this.logger.log({ destroyed: report.destroyed }, 'orphaned sandboxes removed');
  }
}
