import { Inject, Injectable } from '@nestjs/common';
import { CreateWebhookRequest, RotateWebhookSecretRequest, UpdateWebhookRequest, type Page, type Webhook, type WebhookDelivery, type WebhookWithSecret } from '@stratus/contracts';
import type { SecretBox } from '@stratus/db';
import { notFound, parseOrThrow, type Query, SECRET_BOX } from '@stratus/nest-common';
import { paginate, parseListParams } from '../common/pagination';
import { newWebhookSecret } from './webhook-secret';
import { WebhookUrlPolicy } from './webhook-url-policy';
import { toDelivery, toWebhook } from './webhook.mapper';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Webhook endpoints of a workspace. The signing secret is stored sealed with STRATUS_ENCRYPTION_KEY and
 * shown only in the responses of create and rotate_secret.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly urls: WebhookUrlPolicy,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async create(workspaceId: string, body: unknown): Promise<WebhookWithSecret> {
    const input = parseOrThrow(CreateWebhookRequest, body);
    this.urls.check(input.url);
    const secret = newWebhookSecret();
    const row = await this.webhooks.create(workspaceId, input, this.secrets.seal(secret));
    return { ...toWebhook(row), secret };
  }

  async get(workspaceId: string, id: string): Promise<Webhook> {
    const row = await this.webhooks.find(workspaceId, id);
    if (!row) throw notFound('Webhook', id);
    return toWebhook(row);
  }

  async update(workspaceId: string, id: string, body: unknown): Promise<Webhook> {
    const input = parseOrThrow(UpdateWebhookRequest, body);
    if (input.url !== undefined) this.urls.check(input.url);
    if (!(await this.webhooks.find(workspaceId, id))) throw notFound('Webhook', id);
    return toWebhook(await this.webhooks.update(id, input));
  }

  /** A new secret; the old one keeps signing deliveries (beside the new) for the grace period. */
  async rotateSecret(workspaceId: string, id: string, body: unknown): Promise<WebhookWithSecret> {
    const input = parseOrThrow(RotateWebhookSecretRequest, body ?? {});
    if (!(await this.webhooks.find(workspaceId, id))) throw notFound('Webhook', id);
    const secret = newWebhookSecret();
    const row = await this.webhooks.rotateSecret(id, this.secrets.seal(secret), new Date(Date.now() + input.grace_period_seconds * 1000));
    return { ...toWebhook(row), secret };
  }

  async delete(workspaceId: string, id: string): Promise<{ id: string; type: 'webhook_deleted' }> {
    if (!(await this.webhooks.find(workspaceId, id))) throw notFound('Webhook', id);
    await this.webhooks.delete(id);
    return { id, type: 'webhook_deleted' };
  }

  async list(workspaceId: string, query: Query): Promise<Page<Webhook>> {
    const page = await paginate(
      parseListParams(query, 'desc'),
      async (cursorId) => ((await this.webhooks.exists(workspaceId, cursorId)) ? cursorId : undefined),
      (slice) => this.webhooks.listSlice(workspaceId, slice),
      (row) => row.id,
    );
    const now = new Date();
    return { ...page, data: page.data.map((row) => toWebhook(row, now)) };
  }

  /** The webhook's deliveries, newest first, each with its attempts. */
  async deliveries(workspaceId: string, id: string, query: Query): Promise<Page<WebhookDelivery>> {
    const params = parseListParams(query, 'desc');
    if (!(await this.webhooks.find(workspaceId, id))) throw notFound('Webhook', id);
    const page = await paginate(
      params,
      async (cursorId) => ((await this.webhooks.deliveryExists(id, cursorId)) ? cursorId : undefined),
      (slice) => this.webhooks.deliverySlice(id, slice),
      (row) => row.id,
    );
    return { ...page, data: page.data.map(toDelivery) };
  }
}
