import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { REDIS } from '@stratus/nest-common';
import { WebhookDeliveryProducer } from '@stratus/queues';
import type { Redis } from 'ioredis';
import { queueSettings, type WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

/** Due deliveries handed to the queue per poll. */
const BATCH = 200;

/**
 * Hands due delivery attempts from the outbox (PostgreSQL) to the `webhook-delivery` queue. Each is
 * leased while its job is pending, long enough for the attempt to time out and be recorded; a job lost
 * with Redis, or an attempt never recorded, is due again once the lease ends and is handed out under the
 * same job id. Runs in every worker that consumes the queue; SKIP LOCKED keeps them from colliding.
 */
@Injectable()
export class WebhookDispatcherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcherService.name);
  private readonly producer: WebhookDeliveryProducer;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(REDIS) redis: Redis,
  ) {
    this.producer = new WebhookDeliveryProducer(redis, env.REDIS_KEY_PREFIX);
  }

  onApplicationBootstrap(): void {
    if (!queueSettings(this.env).some((s) => s.queue === 'webhook-delivery')) return;
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.producer.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.dispatch()
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'webhook dispatch failed; retrying at the next poll'))
        .finally(() => this.schedule());
    }, this.env.STRATUS_WEBHOOK_POLL_INTERVAL_MS);
  }

  /** Hands out everything due, batch by batch. */
  private async dispatch(): Promise<void> {
    const leaseMs = 2 * this.env.STRATUS_WEBHOOK_TIMEOUT_MS + 10_000;
    for (;;) {
      const due = await this.deliveries.claimDue(BATCH, leaseMs);
      for (const delivery of due) await this.producer.enqueue(delivery.id, delivery.attempts + 1);
      if (due.length < BATCH || this.stopped) return;
    }
  }
}
