import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Page, Vault, VaultCredential } from '@stratus/contracts';
import { Auth, type AuthContext, type Query as QueryParams } from '@stratus/nest-common';
import { VaultsService } from './vaults.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@Controller('vaults')
export class VaultsController {
  constructor(private readonly vaults: VaultsService) {}

  @Post()
  @Idempotent()
  @HttpCode(201)
  create(@Auth() auth: AuthContext, @Body() body: unknown): Promise<Vault> {
    return this.vaults.create(auth.workspaceId, body);
  }

  @Get()
  list(@Auth() auth: AuthContext, @Query() query: QueryParams): Promise<Page<Vault>> {
    return this.vaults.list(auth.workspaceId, query);
  }

  @Get(':id')
  get(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Vault> {
    return this.vaults.get(auth.workspaceId, id);
  }

  @Post(':id')
  @Idempotent()
  @HttpCode(200)
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown): Promise<Vault> {
    return this.vaults.update(auth.workspaceId, id, body);
  }

  @Post(':id/archive')
  @Idempotent()
  @HttpCode(200)
  archive(@Auth() auth: AuthContext, @Param('id') id: string): Promise<Vault> {
    return this.vaults.archive(auth.workspaceId, id);
  }

  @Delete(':id')
  @Idempotent()
  @HttpCode(200)
  delete(@Auth() auth: AuthContext, @Param('id') id: string): Promise<{ id: string; type: 'vault_deleted' }> {
    return this.vaults.delete(auth.workspaceId, id);
  }

  @Post(':id/credentials')
  @Idempotent()
  @HttpCode(201)
  createCredential(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown): Promise<VaultCredential> {
    return this.vaults.createCredential(auth.workspaceId, id, body);
  }

  @Get(':id/credentials')
  listCredentials(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: QueryParams): Promise<Page<VaultCredential>> {
    return this.vaults.listCredentials(auth.workspaceId, id, query);
  }

  @Get(':id/credentials/:credentialId')
  getCredential(@Auth() auth: AuthContext, @Param('id') id: string, @Param('credentialId') credentialId: string): Promise<VaultCredential> {
    return this.vaults.getCredential(auth.workspaceId, id, credentialId);
  }

  @Post(':id/credentials/:credentialId')
  @Idempotent()
  @HttpCode(200)
  updateCredential(@Auth() auth: AuthContext, @Param('id') id: string, @Param('credentialId') credentialId: string, @Body() body: unknown): Promise<VaultCredential> {
    return this.vaults.updateCredential(auth.workspaceId, id, credentialId, body);
  }

  @Post(':id/credentials/:credentialId/archive')
  @Idempotent()
  @HttpCode(200)
  archiveCredential(@Auth() auth: AuthContext, @Param('id') id: string, @Param('credentialId') credentialId: string): Promise<VaultCredential> {
    return this.vaults.archiveCredential(auth.workspaceId, id, credentialId);
  }

  @Delete(':id/credentials/:credentialId')
  @Idempotent()
  @HttpCode(200)
  deleteCredential(@Auth() auth: AuthContext, @Param('id') id: string, @Param('credentialId') credentialId: string): Promise<{ id: string; type: 'vault_credential_deleted' }> {
    return this.vaults.deleteCredential(auth.workspaceId, id, credentialId);
  }
}
