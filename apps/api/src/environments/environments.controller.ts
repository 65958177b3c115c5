import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Environment, Page } from '@stratus/contracts';
import { Auth, type AuthContext, type Query as QueryParams } from '@stratus/nest-common';
import { EnvironmentsService } from './environments.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@Controller('environments')
export class EnvironmentsController {
  constructor(private readonly environments: EnvironmentsService) {}

  @Post()
  @Idempotent()
  @HttpCode(201)
  create(@Auth() auth: AuthContext, @Body() body: unknown): Promise<Environment> {
    return this.environments.create(auth.workspaceId, body);
  }

  @Get()
  list(@Auth() auth: AuthContext, @Query() query: QueryParams): Promise<Page<Environment>> {
    return this.environments.list(auth.workspaceId, query);
  }

  @Get(':id')
  get(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Environment> {
    return this.environments.get(auth.workspaceId, id);
  }

  @Post(':id')
  @Idempotent()
  @HttpCode(200)
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown): Promise<Environment> {
    return this.environments.update(auth.workspaceId, id, body);
  }

  @Post(':id/archive')
  @Idempotent()
  @HttpCode(200)
  archive(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Environment> {
    return this.environments.archive(auth.workspaceId, id);
  }

  @Delete(':id')
  @Idempotent()
  @HttpCode(200)
  delete(@Auth() auth: AuthContext, @Param('id') id: string): Promise<{ id: string; type: 'environment_deleted' }> {
    return this.environments.delete(auth.workspaceId, id);
  }
}
