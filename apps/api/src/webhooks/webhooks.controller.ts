import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Page, Webhook, WebhookDelivery, WebhookWithSecret } from '@stratus/contracts';
import { Auth, type AuthContext, type Query as QueryParams } from '@stratus/nest-common';
import { WebhooksService } from './webhooks.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Idempotent()
  @HttpCode(201)
  create(@Auth() auth: AuthContext, @Body() body: unknown): Promise<WebhookWithSecret> {
    return this.webhooks.create(auth.workspaceId, body);
  }

  @Get()
  list(@Auth() auth: AuthContext, @Query() query: QueryParams): Promise<Page<Webhook>> {
    return this.webhooks.list(auth.workspaceId, query);
  }

  @Get(':id')
  get(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Webhook> {
    return this.webhooks.get(auth.workspaceId, id);
  }

  @Post(':id')
  @Idempotent()
  @HttpCode(200)
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown): Promise<Webhook> {
    return this.webhooks.update(auth.workspaceId, id, body);
  }

  @Post(':id/rotate_secret')
  @Idempotent()
  @HttpCode(200)
  rotateSecret(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown): Promise<WebhookWithSecret> {
    return this.webhooks.rotateSecret(auth.workspaceId, id, body);
  }

  @Delete(':id')
  @Idempotent()
  @HttpCode(200)
  delete(@Auth() auth: AuthContext, @Param('id') id: string): Promise<{ id: string; type: 'webhook_deleted' }> {
    return this.webhooks.delete(auth.workspaceId, id);
  }

  @Get(':id/deliveries')
  deliveries(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: QueryParams): Promise<Page<WebhookDelivery>> {
    return this.webhooks.deliveries(auth.workspaceId, id, query);
  }
}
