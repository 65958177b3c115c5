import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Page, SessionEvent } from '@stratus/contracts';
import { Auth, type AuthContext, type Query as QueryParams } from '@stratus/nest-common';
import { EventsService } from './events.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@Controller('sessions/:sessionId/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @Idempotent()
  @HttpCode(202)
  send(@Auth() auth: AuthContext, @Param('sessionId') sessionId: string, @Body() body: unknown): Promise<{ data: SessionEvent[] }> {
    return this.events.send(auth.workspaceId, sessionId, body);
  }

  @Get()
  list(@Auth() auth: AuthContext, @Param('sessionId') sessionId: string, @Query() query: QueryParams): Promise<Page<SessionEvent>> {
    return this.events.list(auth.workspaceId, sessionId, query);
  }
}
