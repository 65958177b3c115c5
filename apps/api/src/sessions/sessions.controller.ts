import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Page, Session } from '@stratus/contracts';
import { Auth, type AuthContext, type Query as QueryParams } from '@stratus/nest-common';
import type { FastifyReply } from 'fastify';
import { type CancelResult, SessionsService } from './sessions.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @Idempotent()
  @HttpCode(201)
  create(@Auth() auth: AuthContext, @Body() body: unknown): Promise<Session> {
    return this.sessions.create(auth.workspaceId, body);
  }

  @Get()
  list(@Auth() auth: AuthContext, @Query() query: QueryParams): Promise<Page<Session>> {
    return this.sessions.list(auth.workspaceId, query);
  }

  @Get(':id')
  get(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Session> {
    return this.sessions.get(auth.workspaceId, id);
  }

  @Post(':id')
  @Idempotent()
  @HttpCode(200)
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown): Promise<Session> {
    return this.sessions.update(auth.workspaceId, id, body);
  }

  @Post(':id/archive')
  @Idempotent()
  @HttpCode(200)
  archive(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Session> {
    return this.sessions.archive(auth.workspaceId, id);
  }

  @Post(':id/cancel')
  @Idempotent()
  async cancel(@Auth() auth: AuthContext, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<CancelResult['body']> {
    const result = await this.sessions.cancel(auth.workspaceId, id);
    void reply.status(result.status);
    return result.body;
  }

  @Delete(':id')
  @Idempotent()
  @HttpCode(200)
  delete(@Auth() auth: AuthContext, @Param('id') id: string): Promise<{ id: string; type: 'session_deleted' }> {
    return this.sessions.delete(auth.workspaceId, id);
  }
}
