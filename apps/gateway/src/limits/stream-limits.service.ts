import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError } from '@stratus/nest-common';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';
import { StreamSlotsRepository } from './stream-slots.repository';

/** A stream's place under the caps; released once when the stream ends (further calls do nothing). */
export interface StreamSlot {
  release(): void;
}

/** Renewal ticks a slot survives unrenewed: a gateway that died frees its slots within this many ticks. */
const LEASE_TICKS = 3;

/**
 * The caps on concurrent streams: per token across every gateway (a sorted set in Redis whose
 * slots expire unless their gateway renews them, so a gateway that dies leaks nothing) and per
 * gateway process (a counter here). Over a cap the caller gets 429 with retry-after; streams
 * already open are never touched.
 */
@Injectable()
export class StreamLimits {
  private readonly logger = new Logger('gateway');
  /** Unique per process, so slots of gateways sharing Redis never collide. */
  private readonly instanceId = randomUUID();
  private nextSlot = 0;
  /** Slots held or being claimed in this process. */
  private open = 0;
  /** This process's slots per token: what it renews, and the fallback count while Redis is unreachable. */
  private readonly held = new Map<string, Set<string>>();
  private redisDown = false;

  constructor(
    private readonly slots: StreamSlotsRepository,
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
  ) {}

  /** How long a slot lives without renewal. */
  get leaseMs(): number {
    return LEASE_TICKS * this.env.GATEWAY_RECONCILE_INTERVAL_MS;
  }

  /** Takes a slot for a new stream of the token, or throws 429 when a cap is reached. */
  async acquire(tokenId: string): Promise<StreamSlot> {
    if (this.open >= this.env.GATEWAY_MAX_STREAMS) {
      throw tooManyStreams(`This gateway serves its maximum of ${this.env.GATEWAY_MAX_STREAMS} streams; retry shortly.`, this.env.GATEWAY_RETRY_MS);
    }
    // Counted before the first await, so concurrent requests cannot all pass the check above.
    this.open++;
    const slotId = `${this.instanceId}:${++this.nextSlot}`;
    let granted: boolean;
    try {
      granted = await this.claim(tokenId, slotId);
    } catch (error) {
      this.open--;
      throw error;
    }
    if (!granted) {
      this.open--;
      // Slots are freed when streams end, or within a lease when a gateway died holding them.
      throw tooManyStreams(
        `This token holds its maximum of ${this.env.GATEWAY_MAX_STREAMS_PER_TOKEN} concurrent streams; close one or retry later.`,
        this.env.GATEWAY_RECONCILE_INTERVAL_MS,
      );
    }
    const mine = this.held.get(tokenId) ?? new Set<string>();
    mine.add(slotId);
    this.held.set(tokenId, mine);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open--;
        mine.delete(slotId);
        if (mine.size === 0 && this.held.get(tokenId) === mine) this.held.delete(tokenId);
        // A release that fails (Redis down) is not retried: the slot expires unrenewed.
        this.slots.release(tokenId, slotId).catch(() => undefined);
      },
    };
  }

  /** Renews every slot this process holds; called on the reconcile tick. */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await this.slots.renew(this.held, this.leaseMs);
      this.markRedis(true);
    } catch (error) {
      this.markRedis(false, error);
    }
  }

  /**
   * Claims the slot in Redis. While Redis is unreachable the cap is applied to this process's own
   * streams instead (said once in the log), rather than refusing every stream or letting any through;
   * the renewal after Redis is back registers them there.
   */
  private async claim(tokenId: string, slotId: string): Promise<boolean> {
    try {
      const granted = await this.slots.claim(tokenId, slotId, this.env.GATEWAY_MAX_STREAMS_PER_TOKEN, this.leaseMs);
      this.markRedis(true);
      return granted;
    } catch (error) {
      this.markRedis(false, error);
      return (this.held.get(tokenId)?.size ?? 0) < this.env.GATEWAY_MAX_STREAMS_PER_TOKEN;
    }
  }

  private markRedis(up: boolean, error?: unknown): void {
    if (up === !this.redisDown) return;
    this.redisDown = !up;
    if (up) this.logger.log('stream caps: Redis reachable again; the per-token cap holds across gateways again');
    else this.logger.warn({ msg: 'stream caps: Redis unreachable; the per-token cap now counts only this gateway\'s streams', err: error });
  }
}

function tooManyStreams(message: string, retryAfterMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiError(429, message, undefined, { 'retry-after': String(seconds) });
}
