import type { Webhook, WebhookDelivery, WebhookDeliveryAttempt } from '@stratus/contracts';
import type { Webhook as WebhookRow, WebhookDelivery as DeliveryRow, WebhookDeliveryAttempt as AttemptRow } from '@stratus/db';

/** The public webhook; never its secret. */
export function toWebhook(row: WebhookRow, now = new Date()): Webhook {
  const previousLive = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now;
  return {
    id: row.id,
    type: 'webhook',
    url: row.url,
    event_types: row.eventTypes,
    description: row.description,
    enabled: row.enabled,
    previous_secret_expires_at: previousLive ? row.previousSecretExpiresAt!.toISOString() : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function toAttempt(row: AttemptRow): WebhookDeliveryAttempt {
  return { attempt: row.attempt, started_at: row.startedAt.toISOString(), duration_ms: row.durationMs, response_status: row.responseStatus, error: row.error };
}

export function toDelivery(row: DeliveryRow & { attemptLog: AttemptRow[] }): WebhookDelivery {
  return {
    id: row.id,
    type: 'webhook_delivery',
    webhook_id: row.webhookId,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status,
    attempts: row.attemptLog.map(toAttempt),
    next_attempt_at: row.nextAttemptAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    completed_at: row.completedAt?.toISOString() ?? null,
  };
}
