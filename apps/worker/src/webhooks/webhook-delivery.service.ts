import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WebhookPayload } from '@stratus/contracts';
import type { SecretBox, Webhook, WebhookDelivery } from '@stratus/db';
import { SECRET_BOX } from '@stratus/nest-common';
import type { WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { WebhookDeliveriesRepository, type AttemptRecord } from './webhook-deliveries.repository';
import { WebhookHttpRepository, WebhookSendError } from './webhook-http.repository';
import { nextAttemptAt } from './webhook-retry';
import { signatureHeader } from './webhook-signature';

/** What is kept of a failed attempt's reason. */
const ERROR_CHARS = 300;

/**
 * Makes one attempt of a delivery, Standard Webhooks style: `webhook-id` is the delivery's id, the same
 * on every attempt and on a redelivery after a crash (receivers dedupe on it); `webhook-timestamp` is the
 * attempt's time; `webhook-signature` holds one `v1,` signature per secret in use. Delivery is at least
 * once: the attempt is recorded after the response, so a worker that dies in between makes the next
 * worker send it again, under the same id.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly http: WebhookHttpRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  async attempt(deliveryId: string, attempt: number): Promise<void> {
    const delivery = await this.deliveries.find(deliveryId);
    // Already made (a repeated job) or not this attempt's turn: nothing to do.
    if (!delivery || delivery.status !== 'pending' || delivery.attempts !== attempt - 1) return;
    const webhook = await this.deliveries.webhook(delivery.webhookId);
    if (!webhook) {
      await this.deliveries.drop(deliveryId);
      return;
    }
    const startedAt = new Date();
    if (!webhook.enabled) {
      await this.deliveries.record(deliveryId, { attempt, startedAt, durationMs: 0, responseStatus: null, error: 'the webhook is disabled', status: 'failed', nextAttemptAt: null });
      return;
    }
    const outcome = await this.send(webhook, delivery, startedAt);
    const record = this.decide(delivery, attempt, startedAt, outcome);
    await this.deliveries.record(deliveryId, record);
    this.logger.debug({ deliveryId, webhookId: webhook.id, attempt, responseStatus: record.responseStatus, status: record.status }, 'webhook attempt made');
  }

  private async send(webhook: Webhook, delivery: WebhookDelivery, startedAt: Date): Promise<{ status: number | null; error: string | null; durationMs: number }> {
    const payload: WebhookPayload = { id: delivery.id, type: delivery.eventType, created_at: delivery.createdAt.toISOString(), data: delivery.data as Record<string, unknown> };
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers = {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(this.secretsOf(webhook, startedAt), delivery.id, timestamp, body),
    };
    const started = performance.now();
    try {
      const response = await this.http.post(webhook.url, headers, body);
      const ok = response.status >= 200 && response.status < 300;
      return { status: response.status, error: ok ? null : `HTTP ${response.status}: ${response.excerpt}`.slice(0, ERROR_CHARS), durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      if (!(error instanceof WebhookSendError)) throw error;
      return { status: null, error: error.message.slice(0, ERROR_CHARS), durationMs: Math.round(performance.now() - started) };
    }
  }

  /** The current secret, and the one before the last rotation while its grace period lasts. */
  private secretsOf(webhook: Webhook, now: Date): string[] {
    const secrets = [this.secrets.open<string>(webhook.secretEncrypted)];
    if (webhook.previousSecretEncrypted && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now) {
      secrets.push(this.secrets.open<string>(webhook.previousSecretEncrypted));
    }
    return secrets;
  }

  private decide(delivery: WebhookDelivery, attempt: number, startedAt: Date, outcome: { status: number | null; error: string | null; durationMs: number }): AttemptRecord {
    const base = { attempt, startedAt, durationMs: outcome.durationMs, responseStatus: outcome.status, error: outcome.error };
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) return { ...base, status: 'succeeded', nextAttemptAt: null };
    const next = nextAttemptAt({
      schedule: this.env.STRATUS_WEBHOOK_RETRY_SCHEDULE_MS,
      windowMs: this.env.STRATUS_WEBHOOK_RETRY_WINDOW_MS,
      createdAt: delivery.createdAt,
      attemptsMade: attempt,
      now: new Date(),
    });
    return next ? { ...base, status: 'pending', nextAttemptAt: next } : { ...base, status: 'failed', nextAttemptAt: null };
  }
}
