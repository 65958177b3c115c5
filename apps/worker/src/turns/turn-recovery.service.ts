import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { queueSettings, type WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { TurnJobsRepository } from './turn-jobs.repository';
import { ownerJobId } from './turn-owner';
import { TurnsRepository } from './turns.repository';

/** Sessions looked at per sweep. */
const BATCH = 100;

/**
 * The safety net of turn scheduling: a session that is processing but has no live turn job (the API
 * committed the wake-up and then could not enqueue it, or the job failed without ending its turn) gets
 * a new job, which resumes it from the event log.
 */
@Injectable()
export class TurnRecoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TurnRecoveryService.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly turns: TurnsRepository,
    private readonly jobs: TurnJobsRepository,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.env.STRATUS_TURN_RECOVERY_INTERVAL_MS;
    if (interval === 0 || !queueSettings(this.env).some((s) => s.queue === 'session-turns')) return;
    this.timer = setInterval(() => void this.sweep(), interval);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * One sweep over sessions quiet for `quietMs` (by default longer than a stalled job takes to be
   * noticed, so that a job that is merely slow is not doubled); returns those it enqueued a job for.
   */
  async sweep(quietMs = Math.max(this.env.STRATUS_TURN_RECOVERY_INTERVAL_MS, this.env.STRATUS_WORKER_LOCK_MS + this.env.STRATUS_WORKER_STALLED_INTERVAL_MS)): Promise<string[]> {
    if (this.sweeping) return [];
    this.sweeping = true;
    const recovered: string[] = [];
    try {
      for (const session of await this.turns.findQuietBusySessions(quietMs, BATCH)) {
        if (session.turnJobId !== null && (await this.jobs.isAlive(ownerJobId(session.turnJobId)))) continue;
        await this.jobs.enqueueRecovery(session.id, session.lastSeq);
        recovered.push(session.id);
      }
      if (recovered.length > 0) this.logger.warn({ sessions: recovered }, 'recovered processing sessions without a live turn job');
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'turn recovery sweep failed');
    } finally {
      this.sweeping = false;
    }
    return recovered;
  }
}
