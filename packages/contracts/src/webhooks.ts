import { z } from 'zod';
import { EVENT_TYPES } from './events';
import { Timestamp } from './common';

/** `*` subscribes to every event type; otherwise a webhook names the types it wants. */
export const WEBHOOK_WILDCARD = '*';

/** Whether a webhook subscribed to `eventTypes` receives an event of `type`. */
export function webhookWants(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.includes(WEBHOOK_WILDCARD) || eventTypes.includes(type);
}

const WebhookEventTypes = z
  .array(z.enum([WEBHOOK_WILDCARD, ...EVENT_TYPES]))
  .min(1)
  .max(EVENT_TYPES.length)
  .refine((types) => new Set(types).size === types.length, { message: 'lists an event type twice' })
  .refine((types) => !types.includes(WEBHOOK_WILDCARD) || types.length === 1, { message: '"*" stands alone: it already means every event type' });

/** Only the form is checked here; which hosts a URL may name is the deployment's policy (see the API). */
const WebhookUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value), { message: 'must be an absolute URL' });

export const CreateWebhookRequest = z
  .strictObject({
    url: WebhookUrl,
    event_types: WebhookEventTypes,
    description: z.string().max(2048).default(''),
    enabled: z.boolean().default(true),
  })
  .meta({ id: 'CreateWebhookRequest' });
export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;

export const UpdateWebhookRequest = z
  .strictObject({
    url: WebhookUrl.optional(),
    event_types: WebhookEventTypes.optional(),
    description: z.string().max(2048).optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateWebhookRequest' });
export type UpdateWebhookRequest = z.infer<typeof UpdateWebhookRequest>;

/** The grace period defaults to 24 h: long enough for a receiver to deploy the new secret. */
export const RotateWebhookSecretRequest = z
  .strictObject({ grace_period_seconds: z.int().min(0).max(7 * 24 * 3600).default(24 * 3600) })
  .meta({ id: 'RotateWebhookSecretRequest' });
export type RotateWebhookSecretRequest = z.infer<typeof RotateWebhookSecretRequest>;

export const Webhook = z
  .object({
    id: z.string(),
    type: z.literal('webhook'),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string(),
    enabled: z.boolean(),
    /** Until then deliveries also carry a signature made with the secret before the last rotation. */
    previous_secret_expires_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof Webhook>;

/** What create and rotate_secret return: the only responses that ever carry the signing secret. */
export const WebhookWithSecret = Webhook.extend({
  secret: z.string().meta({ description: 'whsec_<base64 of 32 bytes>; shown once' }),
}).meta({ id: 'WebhookWithSecret' });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookDeleted = z.object({ id: z.string(), type: z.literal('webhook_deleted') }).meta({ id: 'WebhookDeleted' });

export const WebhookDeliveryStatus = z.enum(['pending', 'succeeded', 'failed']);
export type WebhookDeliveryStatus = z.infer<typeof WebhookDeliveryStatus>;

export const WebhookDeliveryAttempt = z
  .object({
    attempt: z.int(),
    started_at: Timestamp,
    duration_ms: z.int(),
    /** The receiver's HTTP status; null when no response came (refused, timed out, unreachable). */
    response_status: z.int().nullable(),
    /** Why the attempt failed without a response, or a short excerpt of a non-2xx response's body. */
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });
export type WebhookDeliveryAttempt = z.infer<typeof WebhookDeliveryAttempt>;

export const WebhookDelivery = z
  .object({
    id: z.string().meta({ description: 'Also the webhook-id header: the same on every attempt' }),
    type: z.literal('webhook_delivery'),
    webhook_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    status: WebhookDeliveryStatus,
    attempts: z.array(WebhookDeliveryAttempt),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** The JSON body of every delivery: `id` is the delivery's (and the webhook-id header), `data` the event. */
export interface WebhookPayload {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}
