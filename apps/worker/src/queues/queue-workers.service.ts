import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InvalidJobPayloadError, queuePrefix } from '@stratus/queues';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { queueSettings, type WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { planQueueWorkers, QUEUE_PROCESSORS, type QueueProcessor } from './queue-processor';
import { traceJob } from './job-telemetry';

/** Jobs stalled more often than this (their worker died each time) fail instead of looping forever. */
const MAX_STALLED_COUNT = 3;

/**
 * One BullMQ Worker per enabled queue, each with the concurrency the environment gives it. The plan is
 * checked when the module is created, so a queue without a processor stops the process at boot.
 */
@Injectable()
export class QueueWorkersService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueWorkersService.name);
  private readonly plan: ReturnType<typeof planQueueWorkers>;
  private readonly workers: { worker: Worker; connection: Redis; processor: QueueProcessor }[] = [];

  constructor(
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(QUEUE_PROCESSORS) processors: QueueProcessor[],
  ) {
    this.plan = planQueueWorkers(queueSettings(env), processors);
  }

  onApplicationBootstrap(): void {
    for (const { setting, processor } of this.plan) {
      // Workers block on Redis: they get a connection of their own, which retries commands indefinitely.
      const connection = new Redis(this.env.REDIS_URL, { maxRetriesPerRequest: null });
      connection.on('error', (error: Error) => this.logger.warn({ queue: setting.queue, err: error.message }, 'queue connection error'));
      const worker = new Worker(
        setting.queue,
        (job, token) =>
          traceJob(setting.queue, job, async () => {
            try {
              await processor.process(job, token);
            } catch (error) {
              // A payload that does not parse will never parse: fail it now rather than retry it.
              if (error instanceof InvalidJobPayloadError) throw new UnrecoverableError(error.message);
              throw error;
            }
          }),
        {
          connection,
          prefix: queuePrefix(this.env.REDIS_KEY_PREFIX),
          concurrency: setting.concurrency,
          // BullMQ renews each running job's lock every lockDuration/4 or so (a timer of lockRenewTime/2,
          // lockRenewTime defaulting to lockDuration/2): only an event loop blocked for ~3/4 of the lock
          // loses it. A dead worker's job is moved back to waiting by the first stalled check after its
          // lock expires: within lock + stalled interval of the crash.
          lockDuration: this.env.STRATUS_WORKER_LOCK_MS,
          stalledInterval: this.env.STRATUS_WORKER_STALLED_INTERVAL_MS,
          maxStalledCount: MAX_STALLED_COUNT,
        },
      );
      worker.on('error', (error) => this.logger.error({ queue: setting.queue, err: error.message }, 'queue worker error'));
      // The lock of these jobs was gone when this worker came to renew it: another attempt runs (or
      // will run) them. Their runs here stop now; one that does not get far stops at its next commit
      // (turn-owner.ts).
      worker.on('lockRenewalFailed', (jobIds) => {
        this.logger.warn({ queue: setting.queue, jobIds }, 'job lock lost');
        processor.lost?.(jobIds);
      });
      worker.on('failed', (job, error) => {
        if (!job) return;
        const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
        this.logger.warn({ queue: setting.queue, jobId: job.id, attempt: job.attemptsMade, final, err: error.message }, 'job failed');
        // The hook runs after the job is over: nobody awaits it, so a rejection is caught and reported here.
        if (final && processor.failed) {
          processor.failed(job, error).catch((failure: unknown) => this.logger.error({ queue: setting.queue, jobId: job.id, err: String(failure) }, 'failed-job handler failed'));
        }
      });
      this.workers.push({ worker, connection, processor });
      this.logger.log(`consuming ${setting.queue} (concurrency ${setting.concurrency})`);
    }
  }

  /**
   * Stops taking jobs and lets running ones finish within the grace period; then abandons them, to be
   * resumed from the event log by another worker. Runs before the shared clients close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const { processor } of this.workers) processor.abandon?.();
        resolve();
      }, this.env.STRATUS_WORKER_SHUTDOWN_GRACE_MS);
    });
    await Promise.all(
      this.workers.map(async ({ worker, connection }) => {
        await Promise.race([worker.close(), grace]);
        // After the grace, abandoned jobs end promptly; don't wait forever on one that does not.
        await Promise.race([worker.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
        connection.disconnect();
      }),
    );
    clearTimeout(timer);
  }
}
