import { Inject, Injectable } from '@nestjs/common';
import type { CreateWebhookRequest, UpdateWebhookRequest } from '@stratus/contracts';
import { newId, type PrismaClient, type Webhook as WebhookRow, type WebhookDelivery as DeliveryRow, type WebhookDeliveryAttempt as AttemptRow } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';
import { keysetWhere, type SliceRequest } from '../common/pagination';

@Injectable()
export class WebhooksRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(workspaceId: string, input: CreateWebhookRequest, secretEncrypted: Uint8Array<ArrayBuffer>): Promise<WebhookRow> {
    const now = new Date();
    return this.prisma.webhook.create({
      data: { id: newId('webhook'), workspaceId, url: input.url, eventTypes: input.event_types, description: input.description, enabled: input.enabled, secretEncrypted, createdAt: now, updatedAt: now },
    });
  }

  find(workspaceId: string, id: string): Promise<WebhookRow | null> {
    return this.prisma.webhook.findFirst({ where: { id, workspaceId } });
  }

  update(id: string, input: UpdateWebhookRequest): Promise<WebhookRow> {
    return this.prisma.webhook.update({
      where: { id },
      data: {
        ...(input.url !== undefined ? { url: input.url } : {}),
        ...(input.event_types !== undefined ? { eventTypes: input.event_types } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        updatedAt: new Date(),
      },
    });
  }

  /** Makes `secretEncrypted` the secret and keeps the current one valid until `previousExpiresAt`. */
  async rotateSecret(id: string, secretEncrypted: Uint8Array<ArrayBuffer>, previousExpiresAt: Date): Promise<WebhookRow> {
    const now = new Date();
    const [row] = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE webhooks SET previous_secret_encrypted = secret_encrypted, secret_encrypted = ${secretEncrypted},
        previous_secret_expires_at = ${previousExpiresAt}, updated_at = ${now}
      WHERE id = ${id} RETURNING id`;
    return this.prisma.webhook.findUniqueOrThrow({ where: { id: row!.id } });
  }

  /** Deletes the webhook and its deliveries (which carry no foreign key to it). */
  async delete(id: string): Promise<void> {
    await this.prisma.$transaction([this.prisma.webhookDelivery.deleteMany({ where: { webhookId: id } }), this.prisma.webhook.deleteMany({ where: { id } })]);
  }

  listSlice(workspaceId: string, slice: SliceRequest<string>): Promise<WebhookRow[]> {
    return this.prisma.webhook.findMany({
      where: { workspaceId, ...keysetWhere('id', slice) },
      orderBy: { id: slice.order },
      take: slice.take,
    });
  }

  async exists(workspaceId: string, id: string): Promise<boolean> {
    return (await this.prisma.webhook.count({ where: { id, workspaceId } })) > 0;
  }

  deliverySlice(webhookId: string, slice: SliceRequest<string>): Promise<(DeliveryRow & { attemptLog: AttemptRow[] })[]> {
    return this.prisma.webhookDelivery.findMany({
      where: { webhookId, ...keysetWhere('id', slice) },
      include: { attemptLog: { orderBy: { attempt: 'asc' } } },
      orderBy: { id: slice.order },
      take: slice.take,
    });
  }

  async deliveryExists(webhookId: string, id: string): Promise<boolean> {
    return (await this.prisma.webhookDelivery.count({ where: { id, webhookId } })) > 0;
  }
}
