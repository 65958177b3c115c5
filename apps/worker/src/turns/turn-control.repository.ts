import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { REDIS, SERVER_ENV, type ServerEnv } from '@stratus/nest-common';
import { parseTurnControl, turnControlChannel, type TurnControlMessage } from '@stratus/queues';
import type { Redis } from 'ioredis';

/**
 * The worker's one subscriber connection, on the channel the control plane publishes cancels,
 * interrupts and deletions on. Every worker receives every message and acts on the sessions it runs.
 */
@Injectable()
export class TurnControlRepository implements OnModuleDestroy {
  private readonly logger = new Logger(TurnControlRepository.name);
  private subscriber: Redis | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVER_ENV) private readonly env: ServerEnv,
  ) {}

  /** Subscribes; resolves once the subscription is active. */
  async listen(onMessage: (message: TurnControlMessage) => void): Promise<void> {
    const channel = turnControlChannel(this.env.REDIS_KEY_PREFIX);
    // A subscribed connection can do nothing else; it reconnects (and resubscribes) on its own.
    const subscriber = this.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'turn control subscriber error'));
    subscriber.on('message', (_channel: string, raw: string) => {
      const message = parseTurnControl(raw);
      if (message) onMessage(message);
    });
    await subscriber.subscribe(channel);
  }

  async onModuleDestroy(): Promise<void> {
    this.subscriber?.disconnect();
  }
}
