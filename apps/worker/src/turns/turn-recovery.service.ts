import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { TURN_PRODUCER } from '@stratus/nest-common';
import type { SessionTurnProducer } from '@stratus/queues';
import { queueSettings, type WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { ownerJobId } from './turn-owner';
import { TurnsRepository } from './turns.repository';

/** Sessions looked at per sweep. */
const BATCH = 100;

/** Job states in which a turn job will still run (or is running). */
const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

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
    @Inject(TURN_PRODUCER) private readonly producer: SessionTurnProducer,
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
        if (session.turnJobId !== null && (await this.isAlive(ownerJobId(session.turnJobId)))) continue;
        await this.producer.enqueueRecovery(session.id, session.lastSeq);
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

  /** Whether the turn job exists and will still run (or is running); a job that died mid-turn is active until its lock expires. */
  async isAlive(jobId: string): Promise<boolean> {
    const job = await this.producer.queue.getJob(jobId);
    return job !== undefined && LIVE_STATES.has(await job.getState());
  }

  /** Enqueues a job for a session that is processing without a live job (its last job failed for good). */
  async enqueue(sessionId: string, lastSeq: number): Promise<void> {
    await this.producer.enqueueRecovery(sessionId, lastSeq);
  }
}
