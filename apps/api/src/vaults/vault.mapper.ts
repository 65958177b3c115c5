import type { Metadata, Vault, VaultCredential } from '@stratus/contracts';
import type { VaultCredential as VaultCredentialRow, Vault as VaultRow } from '@stratus/db';

export function toVault(row: VaultRow): Vault {
  return {
    id: row.id,
    type: 'vault',
    display_name: row.displayName,
    metadata: row.metadata as Metadata,
    archived_at: row.archivedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The credential without its secret: the row's sealed column is never read here. */
export function toVaultCredential(row: VaultCredentialRow): VaultCredential {
  return {
    id: row.id,
    type: 'vault_credential',
    vault_id: row.vaultId,
    display_name: row.displayName,
    auth: { type: 'static_bearer', mcp_server_url: row.mcpServerUrl },
    metadata: row.metadata as Metadata,
    archived_at: row.archivedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
