import { Injectable } from '@nestjs/common';
import { parseJobPayload } from '@stratus/queues';
import type { Job } from 'bullmq';
import type { QueueProcessor } from '../queues/queue-processor';
import { WebhookDeliveryService } from './webhook-delivery.service';

/** The `webhook-delivery` queue: each job makes one attempt of one delivery. */
@Injectable()
export class WebhookDeliveryProcessor implements QueueProcessor {
  readonly queue = 'webhook-delivery';

  constructor(private readonly deliveries: WebhookDeliveryService) {}

  async process(job: Job): Promise<void> {
    const payload = parseJobPayload('webhook-delivery', job.data);
    await this.deliveries.attempt(payload.deliveryId, payload.attempt);
  }
}
