import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queuePrefix } from './names';
import { DEFAULT_JOB_OPTIONS } from './options';
import { WebhookDeliveryJob } from './payloads';
import { boundedAdd } from './bounded-add';

/** The id of the job that makes one attempt of a delivery: adding the same attempt twice adds one job. */
export function webhookDeliveryJobId(deliveryId: string, attempt: number): string {
  return `${deliveryId}-${attempt}`;
}

/** Enqueues webhook delivery attempts on the `webhook-delivery` queue. */
export class WebhookDeliveryProducer {
  private created: Queue<WebhookDeliveryJob> | undefined;

  /**
   * @param connection an ioredis client to share (BullMQ's queue side needs no dedicated connection)
   * @param redisKeyPrefix the deployment's REDIS_KEY_PREFIX
   */
  constructor(
    private readonly connection: Redis,
    private readonly redisKeyPrefix: string,
  ) {}

  /** The BullMQ queue, created on first use. */
  get queue(): Queue<WebhookDeliveryJob> {
    if (!this.created) {
      this.created = new Queue<WebhookDeliveryJob>('webhook-delivery', {
        connection: this.connection,
        prefix: queuePrefix(this.redisKeyPrefix),
        defaultJobOptions: DEFAULT_JOB_OPTIONS['webhook-delivery'],
      });
      // Connection trouble surfaces as a rejected add(); unlistened, an 'error' event would end the process.
      this.created.on('error', () => undefined);
    }
    return this.created;
  }

  /** Adds the job of one attempt (a no-op while that attempt's job is still queued or running). */
  async enqueue(deliveryId: string, attempt: number): Promise<void> {
    await boundedAdd(this.queue, 'deliver', WebhookDeliveryJob.parse({ deliveryId, attempt }), { jobId: webhookDeliveryJobId(deliveryId, attempt) });
  }

  /** Closes the queue, if it was used (not the shared connection). */
  async close(): Promise<void> {
    await this.created?.close();
  }
}
