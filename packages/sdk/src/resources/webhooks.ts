import type { CreateWebhookRequest, RotateWebhookSecretRequest, UpdateWebhookRequest, Webhook, WebhookDeleted, WebhookDelivery, WebhookWithSecret } from '@stratus/contracts';
import type { ListParams, PageList } from '../core/pagination.js';
import type { InputOf, OutputOf, RequestOptions } from '../core/types.js';
import { CollectionResource } from './collection.js';

export type WebhookCreateParams = InputOf<typeof CreateWebhookRequest>;
export type WebhookUpdateParams = InputOf<typeof UpdateWebhookRequest>;
export type WebhookRotateSecretParams = InputOf<typeof RotateWebhookSecretRequest>;
export type WebhookDeleteResult = OutputOf<typeof WebhookDeleted>;

/**
 * `/webhooks`: endpoints that receive the workspace's events, signed (verify with `verifyWebhook`).
 * The answer to `create` is the only one that carries the signing secret.
 */
export class Webhooks extends CollectionResource<Webhook, WebhookCreateParams, WebhookUpdateParams, ListParams, WebhookWithSecret> {
  protected readonly path = '/webhooks';

  retrieve(webhookId: string, options?: RequestOptions): Promise<Webhook> {
    return this.retrieveObject(webhookId, options);
  }

  /** A new signing secret; the previous one keeps verifying for the grace period asked for. */
  rotateSecret(webhookId: string, body: WebhookRotateSecretParams = {}, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.transport.request('POST', this.objectPath(webhookId, 'rotate_secret'), { ...options, body });
  }

  delete(webhookId: string, options?: RequestOptions): Promise<WebhookDeleteResult> {
    return this.deleteObject(webhookId, options);
  }

  /** Deliveries to the webhook, newest first, each with its attempts and response codes. */
  deliveries(webhookId: string, params: ListParams = {}, options?: RequestOptions): PageList<WebhookDelivery> {
    return this.paginate<WebhookDelivery>(this.objectPath(webhookId, 'deliveries'), { ...params }, options);
  }
}
