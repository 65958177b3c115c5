import type {
  CreateVaultCredentialRequest,
  CreateVaultRequest,
  UpdateVaultCredentialRequest,
  UpdateVaultRequest,
  Vault,
  VaultCredential,
  VaultCredentialDeleted,
  VaultDeleted,
} from '@stratus/contracts';
import type { ListParams, PageList } from '../core/pagination.js';
import { APIResource, segment } from '../core/resource.js';
import type { Transport } from '../core/transport.js';
import type { InputOf, OutputOf, Query, RequestOptions } from '../core/types.js';
import { CollectionResource } from './collection.js';

export type VaultCreateParams = InputOf<typeof CreateVaultRequest>;
export type VaultUpdateParams = InputOf<typeof UpdateVaultRequest>;
export type VaultDeleteResult = OutputOf<typeof VaultDeleted>;
export type VaultCredentialCreateParams = InputOf<typeof CreateVaultCredentialRequest>;
export type VaultCredentialUpdateParams = InputOf<typeof UpdateVaultCredentialRequest>;
export type VaultCredentialDeleteResult = OutputOf<typeof VaultCredentialDeleted>;

/** Vault and credential lists: pages, and archived ones only when asked for. */
export interface VaultListParams extends ListParams {
  include_archived?: boolean;
}

const query = (params: VaultListParams): Query => ({ ...params });

/** `/vaults/{id}/credentials`: a vault's credentials, write-only (no secret is ever returned). */
export class VaultCredentials extends APIResource {
  create(vaultId: string, body: VaultCredentialCreateParams, options?: RequestOptions): Promise<VaultCredential> {
    return this.transport.request('POST', `/vaults/${segment(vaultId)}/credentials`, { ...options, body });
  }

  retrieve(vaultId: string, credentialId: string, options?: RequestOptions): Promise<VaultCredential> {
    return this.transport.request('GET', `/vaults/${segment(vaultId)}/credentials/${segment(credentialId)}`, options);
  }

  update(vaultId: string, credentialId: string, body: VaultCredentialUpdateParams, options?: RequestOptions): Promise<VaultCredential> {
    return this.transport.request('POST', `/vaults/${segment(vaultId)}/credentials/${segment(credentialId)}`, { ...options, body });
  }

  list(vaultId: string, params: VaultListParams = {}, options?: RequestOptions): PageList<VaultCredential> {
    return this.paginate<VaultCredential>(`/vaults/${segment(vaultId)}/credentials`, query(params), options);
  }

  archive(vaultId: string, credentialId: string, options?: RequestOptions): Promise<VaultCredential> {
    return this.transport.request('POST', `/vaults/${segment(vaultId)}/credentials/${segment(credentialId)}/archive`, options);
  }

  delete(vaultId: string, credentialId: string, options?: RequestOptions): Promise<VaultCredentialDeleteResult> {
    return this.transport.request('DELETE', `/vaults/${segment(vaultId)}/credentials/${segment(credentialId)}`, options);
  }
}

/** `/vaults`: credentials for MCP servers, referenced by sessions (`vault_ids`). */
export class Vaults extends CollectionResource<Vault, VaultCreateParams, VaultUpdateParams, VaultListParams> {
  protected readonly path = '/vaults';
  readonly credentials: VaultCredentials;

  constructor(transport: Transport) {
    super(transport);
    this.credentials = new VaultCredentials(transport);
  }

  retrieve(vaultId: string, options?: RequestOptions): Promise<Vault> {
    return this.retrieveObject(vaultId, options);
  }

  archive(vaultId: string, options?: RequestOptions): Promise<Vault> {
    return this.archiveObject(vaultId, options);
  }

  delete(vaultId: string, options?: RequestOptions): Promise<VaultDeleteResult> {
    return this.deleteObject(vaultId, options);
  }
}
