import { Inject, Injectable } from '@nestjs/common';
import type { CreateVaultCredentialRequest, CreateVaultRequest, UpdateVaultCredentialRequest, UpdateVaultRequest } from '@stratus/contracts';
import { newId, type PrismaClient, type VaultCredential as VaultCredentialRow, type Vault as VaultRow } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';
import { keysetWhere, type SliceRequest } from '../common/pagination';

interface ListFilter {
  includeArchived: boolean;
}


/** Vaults and their credentials; every read is scoped to the caller's workspace. */
@Injectable()
export class VaultsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(workspaceId: string, input: CreateVaultRequest): Promise<VaultRow> {
    const now = new Date();
    return this.prisma.vault.create({ data: { id: newId('vault'), workspaceId, displayName: input.display_name, metadata: input.metadata, createdAt: now, updatedAt: now } });
  }

  find(workspaceId: string, id: string): Promise<VaultRow | null> {
    return this.prisma.vault.findFirst({ where: { id, workspaceId } });
  }

  update(id: string, input: UpdateVaultRequest): Promise<VaultRow> {
    return this.prisma.vault.update({
      where: { id },
      data: {
        ...(input.display_name !== undefined ? { displayName: input.display_name } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
        updatedAt: new Date(),
      },
    });
  }

  async archive(id: string): Promise<VaultRow> {
    const now = new Date();
    await this.prisma.vault.updateMany({ where: { id, archivedAt: null }, data: { archivedAt: now, updatedAt: now } });
    return this.prisma.vault.findUniqueOrThrow({ where: { id } });
  }

  /** Deletes the vault; its credentials go with it (foreign key cascade). */
  async delete(id: string): Promise<void> {
    await this.prisma.vault.deleteMany({ where: { id } });
  }

  listSlice(workspaceId: string, filter: ListFilter, slice: SliceRequest<string>): Promise<VaultRow[]> {
    return this.prisma.vault.findMany({
      where: { workspaceId, ...(filter.includeArchived ? {} : { archivedAt: null }), ...keysetWhere('id', slice) },
      orderBy: { id: slice.order },
      take: slice.take,
    });
  }

  /** How many of `ids` are vaults of the workspace that are not archived. */
  countUsable(workspaceId: string, ids: string[]): Promise<number> {
    return this.prisma.vault.count({ where: { workspaceId, id: { in: ids }, archivedAt: null } });
  }

  createCredential(workspaceId: string, vaultId: string, input: CreateVaultCredentialRequest, secret: Uint8Array<ArrayBuffer>): Promise<VaultCredentialRow> {
    const now = new Date();
    return this.prisma.vaultCredential.create({
      data: {
        id: newId('vaultCredential'),
        vaultId,
        workspaceId,
        displayName: input.display_name,
        authType: input.auth.type,
        mcpServerUrl: input.auth.mcp_server_url,
        secret,
        metadata: input.metadata,
        createdAt: now,
        updatedAt: now,
      },
    });
  }

  findCredential(workspaceId: string, vaultId: string, id: string): Promise<VaultCredentialRow | null> {
    return this.prisma.vaultCredential.findFirst({ where: { id, vaultId, workspaceId } });
  }

  updateCredential(id: string, input: UpdateVaultCredentialRequest): Promise<VaultCredentialRow> {
    return this.prisma.vaultCredential.update({
      where: { id },
      data: {
        ...(input.display_name !== undefined ? { displayName: input.display_name } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
        updatedAt: new Date(),
      },
    });
  }

  async archiveCredential(id: string): Promise<VaultCredentialRow> {
    const now = new Date();
    await this.prisma.vaultCredential.updateMany({ where: { id, archivedAt: null }, data: { archivedAt: now, updatedAt: now } });
    return this.prisma.vaultCredential.findUniqueOrThrow({ where: { id } });
  }

  async deleteCredential(id: string): Promise<void> {
    await this.prisma.vaultCredential.deleteMany({ where: { id } });
  }

  listCredentialSlice(vaultId: string, filter: ListFilter, slice: SliceRequest<string>): Promise<VaultCredentialRow[]> {
    return this.prisma.vaultCredential.findMany({
      where: { vaultId, ...(filter.includeArchived ? {} : { archivedAt: null }), ...keysetWhere('id', slice) },
      orderBy: { id: slice.order },
      take: slice.take,
    });
  }

  async exists(workspaceId: string, id: string): Promise<boolean> {
    return (await this.prisma.vault.count({ where: { id, workspaceId } })) > 0;
  }

  async credentialExists(vaultId: string, id: string): Promise<boolean> {
    return (await this.prisma.vaultCredential.count({ where: { id, vaultId } })) > 0;
  }
}
