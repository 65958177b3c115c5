import { Injectable, Logger, type OnApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { IdempotencyRepository } from './idempotency.repository';

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/** Deletes remembered responses older than 24 h, so the table does not grow without bound. */
@Injectable()
export class IdempotencyJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('idempotency');
  private timer?: NodeJS.Timeout;

  constructor(private readonly keys: IdempotencyRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One sweep; safe to run on every replica at once. Returns how many keys were deleted. */
  async sweep(): Promise<number> {
    try {
      return await this.keys.deleteExpired();
    } catch (error) {
      this.logger.warn({ err: error }, 'idempotency sweep failed; it will run again');
      return 0;
    }
  }
}
