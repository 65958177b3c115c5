import { Inject, Injectable } from '@nestjs/common';
import {
  CreateVaultCredentialRequest,
  CreateVaultRequest,
  UpdateVaultCredentialRequest,
  UpdateVaultRequest,
  type Page,
  type Vault,
  type VaultCredential,
} from '@stratus/contracts';
import type { SecretBox } from '@stratus/db';
import { boolParam, conflict, notFound, parseOrThrow, type Query, SECRET_BOX } from '@stratus/nest-common';
import { paginate, parseListParams } from '../common/pagination';
import { toVault, toVaultCredential } from './vault.mapper';
import { VaultsRepository } from './vaults.repository';

/** The secret part of a credential, sealed with STRATUS_ENCRYPTION_KEY; the worker opens it. */
export interface SealedCredentialSecret {
  token: string;
}

@Injectable()
export class VaultsService {
  constructor(
    private readonly vaults: VaultsRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async create(workspaceId: string, body: unknown): Promise<Vault> {
    const input = parseOrThrow(CreateVaultRequest, body);
    return toVault(await this.vaults.create(workspaceId, input));
  }

  async get(workspaceId: string, id: string): Promise<Vault> {
    return toVault(await this.vault(workspaceId, id));
  }

  async update(workspaceId: string, id: string, body: unknown): Promise<Vault> {
    const input = parseOrThrow(UpdateVaultRequest, body);
    const vault = await this.vault(workspaceId, id);
    if (vault.archivedAt) throw conflict(`Vault ${id} is archived and cannot be updated.`);
    return toVault(await this.vaults.update(id, input));
  }

  async archive(workspaceId: string, id: string): Promise<Vault> {
    await this.vault(workspaceId, id);
    return toVault(await this.vaults.archive(id));
  }

  async delete(workspaceId: string, id: string): Promise<{ id: string; type: 'vault_deleted' }> {
    await this.vault(workspaceId, id);
    await this.vaults.delete(id);
    return { id, type: 'vault_deleted' };
  }

  async list(workspaceId: string, query: Query): Promise<Page<Vault>> {
    const params = parseListParams(query, 'desc');
    const filter = { includeArchived: boolParam(query, 'include_archived') ?? false };
    const page = await paginate(
      params,
      async (cursorId) => ((await this.vaults.exists(workspaceId, cursorId)) ? cursorId : undefined),
      (slice) => this.vaults.listSlice(workspaceId, filter, slice),
      (row) => row.id,
    );
    return { ...page, data: page.data.map(toVault) };
  }

  async createCredential(workspaceId: string, vaultId: string, body: unknown): Promise<VaultCredential> {
    const input = parseOrThrow(CreateVaultCredentialRequest, body);
    const vault = await this.vault(workspaceId, vaultId);
    if (vault.archivedAt) throw conflict(`Vault ${vaultId} is archived; no credential can be added.`);
    const secret: SealedCredentialSecret = { token: input.auth.token };
    return toVaultCredential(await this.vaults.createCredential(workspaceId, vaultId, input, this.secrets.seal(secret)));
  }

  async getCredential(workspaceId: string, vaultId: string, id: string): Promise<VaultCredential> {
    return toVaultCredential(await this.credential(workspaceId, vaultId, id));
  }

  async updateCredential(workspaceId: string, vaultId: string, id: string, body: unknown): Promise<VaultCredential> {
    const input = parseOrThrow(UpdateVaultCredentialRequest, body);
    const credential = await this.credential(workspaceId, vaultId, id);
    if (credential.archivedAt) throw conflict(`Credential ${id} is archived and cannot be updated.`);
    return toVaultCredential(await this.vaults.updateCredential(id, input));
  }

  async archiveCredential(workspaceId: string, vaultId: string, id: string): Promise<VaultCredential> {
    await this.credential(workspaceId, vaultId, id);
    return toVaultCredential(await this.vaults.archiveCredential(id));
  }

  async deleteCredential(workspaceId: string, vaultId: string, id: string): Promise<{ id: string; type: 'vault_credential_deleted' }> {
    await this.credential(workspaceId, vaultId, id);
    await this.vaults.deleteCredential(id);
    return { id, type: 'vault_credential_deleted' };
  }

  async listCredentials(workspaceId: string, vaultId: string, query: Query): Promise<Page<VaultCredential>> {
    const params = parseListParams(query, 'desc');
    await this.vault(workspaceId, vaultId);
    const filter = { includeArchived: boolParam(query, 'include_archived') ?? false };
    const page = await paginate(
      params,
      async (cursorId) => ((await this.vaults.credentialExists(vaultId, cursorId)) ? cursorId : undefined),
      (slice) => this.vaults.listCredentialSlice(vaultId, filter, slice),
      (row) => row.id,
    );
    return { ...page, data: page.data.map(toVaultCredential) };
  }

  private async vault(workspaceId: string, id: string) {
    const row = await this.vaults.find(workspaceId, id);
    if (!row) throw notFound('Vault', id);
    return row;
  }

  private async credential(workspaceId: string, vaultId: string, id: string) {
    const row = await this.vaults.findCredential(workspaceId, vaultId, id);
    if (!row) throw notFound('Credential', id);
    return row;
  }
}
