import type { CreateWebhookRequest, RotateWebhookSecretRequest, UpdateWebhookRequest, Webhook, WebhookDeleted, WebhookDelivery, WebhookWithSecret } from '@stratus/contracts';
import type { ListParams, PageList } from '../core/pagination.js';
import { APIResource, segment } from '../core/resource.js';
import type { InputOf, OutputOf, RequestOptions } from '../core/types.js';

export type WebhookCreateParams = InputOf<typeof CreateWebhookRequest>;
export type WebhookUpdateParams = InputOf<typeof UpdateWebhookRequest>;
export type WebhookRotateSecretParams = InputOf<typeof RotateWebhookSecretRequest>;
export type WebhookDeleteResult = OutputOf<typeof WebhookDeleted>;

/** `/webhooks`: endpoints that receive the workspace's events, signed (verify with `verifyWebhook`). */
export class Webhooks extends APIResource {
  /** The answer is the only one that carries the signing secret. */
  create(body: WebhookCreateParams, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.transport.request('POST', '/webhooks', { ...options, body });
  }

  retrieve(webhookId: string, options?: RequestOptions): Promise<Webhook> {
    return this.transport.request('GET', `/webhooks/${segment(webhookId)}`, options);
  }

  update(webhookId: string, body: WebhookUpdateParams, options?: RequestOptions): Promise<Webhook> {
    return this.transport.request('POST', `/webhooks/${segment(webhookId)}`, { ...options, body });
  }

  list(params: ListParams = {}, options?: RequestOptions): PageList<Webhook> {
    return this.paginate<Webhook>('/webhooks', { ...params }, options);
  }

  /** A new signing secret; the previous one keeps verifying for the grace period asked for. */
  rotateSecret(webhookId: string, body: WebhookRotateSecretParams = {}, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.transport.request('POST', `/webhooks/${segment(webhookId)}/rotate_secret`, { ...options, body });
  }

  delete(webhookId: string, options?: RequestOptions): Promise<WebhookDeleteResult> {
    return this.transport.request('DELETE', `/webhooks/${segment(webhookId)}`, options);
  }

  /** Deliveries to the webhook, newest first, each with its attempts and response codes. */
  deliveries(webhookId: string, params: ListParams = {}, options?: RequestOptions): PageList<WebhookDelivery> {
    return this.paginate<WebhookDelivery>(`/webhooks/${segment(webhookId)}/deliveries`, { ...params }, options);
  }
}
