import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { SERVER_ENV, type ServerEnv } from '@stratus/nest-common';
import { Redis } from 'ioredis';

type Handler = (message: string) => void;

interface Subscription {
  handlers: Set<Handler>;
  /** Settles once Redis confirmed the SUBSCRIBE, or once the connection was lost meanwhile. */
  ready: Promise<void>;
}

/**
 * The gateway process's one Redis subscriber connection, multiplexing every channel its streams
 * need. A channel is subscribed while at least one handler listens to it. Redis pub/sub is
 * at-most-once and forgets subscriptions when the connection drops: after every reconnection the
 * channels are subscribed again and only then are the reconnection listeners told, so that the
 * repair reads they start cannot miss an event published while subscribing.
 */
@Injectable()
export class LiveSubscriberRepository implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('live-subscriber');
  private readonly redis: Redis;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly reconnectListeners: (() => void)[] = [];
  private connectionLost = false;
  private whenLost!: Promise<void>;
  private signalLost!: () => void;
  private lastErrorLoggedAt = 0;

  constructor(@Inject(SERVER_ENV) env: ServerEnv) {
    this.armLostSignal();
    this.redis = new Redis(env.REDIS_URL, {
      lazyConnect: true,
      // Resubscribing is done here, so that listeners learn when it has completed.
      autoResubscribe: false,
      // A SUBSCRIBE sent as the connection dropped waits for the next connection instead of failing.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    this.redis.on('message', (channel: string, message: string) => {
      const subscription = this.subscriptions.get(channel);
      if (subscription) for (const handler of subscription.handlers) handler(message);
    });
    this.redis.on('close', () => {
      this.connectionLost = true;
      this.signalLost();
    });
    this.redis.on('ready', () => {
      this.armLostSignal();
      if (!this.connectionLost) return;
      this.connectionLost = false;
      this.logger.log('Redis subscriber reconnected; resubscribing and repairing every open stream');
      void this.resubscribe();
    });
    this.redis.on('error', (error: Error) => {
      // ioredis reports every failed reconnection attempt; one line every few seconds is enough.
      if (Date.now() - this.lastErrorLoggedAt < 5000) return;
      this.lastErrorLoggedAt = Date.now();
      this.logger.warn(`Redis subscriber: ${error.message}`);
    });
  }

  async onModuleInit(): Promise<void> {
    await this.redis.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    else this.redis.disconnect();
  }

  /** Runs the listener after every reconnection, once all channels are subscribed again. */
  onReconnected(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /**
   * Adds a handler to a channel. Resolves once the subscription is active, or at once while Redis
   * is unreachable: the resubscription after the reconnection covers it, followed by a repair.
   */
  listen(channel: string, handler: Handler): Promise<void> {
    const existing = this.subscriptions.get(channel);
    if (existing) {
      existing.handlers.add(handler);
      return existing.ready;
    }
    const ready = this.redis.status === 'ready' ? Promise.race([this.redis.subscribe(channel).then(() => undefined, () => undefined), this.whenLost]) : Promise.resolve();
    this.subscriptions.set(channel, { handlers: new Set([handler]), ready });
    return ready;
  }

  /** Removes a handler; the channel is unsubscribed when its last handler leaves. */
  unlisten(channel: string, handler: Handler): void {
    const subscription = this.subscriptions.get(channel);
    if (!subscription?.handlers.delete(handler) || subscription.handlers.size > 0) return;
    this.subscriptions.delete(channel);
    if (this.redis.status === 'ready') this.redis.unsubscribe(channel).catch(() => undefined);
  }

  private async resubscribe(): Promise<void> {
    const channels = [...this.subscriptions.keys()];
    try {
      if (channels.length > 0) await Promise.race([this.redis.subscribe(...channels), this.whenLost.then(() => Promise.reject(new Error('connection lost')))]);
    } catch {
      // Lost again while resubscribing: the next reconnection starts over.
      return;
    }
    for (const listener of this.reconnectListeners) listener();
  }

  private armLostSignal(): void {
    this.whenLost = new Promise((resolve) => (this.signalLost = resolve));
  }
}
