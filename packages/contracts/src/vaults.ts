import { z } from 'zod';
import { Metadata, Timestamp } from './common';

export const CreateVaultRequest = z
  .strictObject({ display_name: z.string().min(1).max(256), metadata: Metadata.default({}) })
  .meta({ id: 'CreateVaultRequest' });
export type CreateVaultRequest = z.infer<typeof CreateVaultRequest>;

export const UpdateVaultRequest = z
  .strictObject({ display_name: z.string().min(1).max(256).optional(), metadata: Metadata.optional() })
  .meta({ id: 'UpdateVaultRequest' });
export type UpdateVaultRequest = z.infer<typeof UpdateVaultRequest>;

export const Vault = z
  .object({
    id: z.string(),
    type: z.literal('vault'),
    display_name: z.string(),
    metadata: Metadata,
    archived_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Vault' });
export type Vault = z.infer<typeof Vault>;

const McpServerUrl = z.url({ protocol: /^https?$/ }).max(2048);

/** A bearer token sent as `Authorization: Bearer <token>` to the MCP server at `mcp_server_url`. */
export const StaticBearerAuthInput = z
  .strictObject({ type: z.literal('static_bearer'), token: z.string().min(1).max(8192), mcp_server_url: McpServerUrl })
  .meta({ id: 'StaticBearerAuthInput' });

export const CredentialAuthInput = z.discriminatedUnion('type', [StaticBearerAuthInput]).meta({ id: 'CredentialAuthInput' });
export type CredentialAuthInput = z.infer<typeof CredentialAuthInput>;

export const CreateVaultCredentialRequest = z
  .strictObject({ display_name: z.string().min(1).max(256), auth: CredentialAuthInput, metadata: Metadata.default({}) })
  .meta({ id: 'CreateVaultCredentialRequest' });
export type CreateVaultCredentialRequest = z.infer<typeof CreateVaultCredentialRequest>;

export const UpdateVaultCredentialRequest = z
  .strictObject({ display_name: z.string().min(1).max(256).optional(), metadata: Metadata.optional() })
  .meta({ id: 'UpdateVaultCredentialRequest' });
export type UpdateVaultCredentialRequest = z.infer<typeof UpdateVaultCredentialRequest>;

/** A credential as the API returns it: the secret fields are write-only and never part of it. */
export const VaultCredential = z
  .object({
    id: z.string(),
    type: z.literal('vault_credential'),
    vault_id: z.string(),
    display_name: z.string(),
    auth: z.object({ type: z.literal('static_bearer'), mcp_server_url: z.string() }),
    metadata: Metadata,
    archived_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'VaultCredential' });
export type VaultCredential = z.infer<typeof VaultCredential>;

export const VaultDeleted = z.object({ id: z.string(), type: z.literal('vault_deleted') }).meta({ id: 'VaultDeleted' });
export const VaultCredentialDeleted = z.object({ id: z.string(), type: z.literal('vault_credential_deleted') }).meta({ id: 'VaultCredentialDeleted' });
