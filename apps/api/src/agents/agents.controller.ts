import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Agent, Page } from '@stratus/contracts';
import { Auth, type AuthContext, type Query as QueryParams } from '@stratus/nest-common';
import { AgentsService } from './agents.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @Idempotent()
  @HttpCode(201)
  create(@Auth() auth: AuthContext, @Body() body: unknown): Promise<Agent> {
    return this.agents.create(auth.workspaceId, body);
  }

  @Get()
  list(@Auth() auth: AuthContext, @Query() query: QueryParams): Promise<Page<Agent>> {
    return this.agents.list(auth.workspaceId, query);
  }

  @Get(':id')
  get(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: QueryParams): Promise<Agent> {
    return this.agents.get(auth.workspaceId, id, query);
  }

  @Post(':id')
  @Idempotent()
  @HttpCode(200)
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown): Promise<Agent> {
    return this.agents.update(auth.workspaceId, id, body);
  }

  @Post(':id/archive')
  @Idempotent()
  @HttpCode(200)
  archive(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Agent> {
    return this.agents.archive(auth.workspaceId, id);
  }

  @Get(':id/versions')
  versions(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: QueryParams): Promise<Page<Agent>> {
    return this.agents.listVersions(auth.workspaceId, id, query);
  }
}
