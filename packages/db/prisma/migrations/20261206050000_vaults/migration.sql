-- Vaults: credentials for MCP servers, the secret sealed with STRATUS_ENCRYPTION_KEY; sessions name
-- the vaults the worker may draw on.
CREATE TABLE "vaults" (
    "id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "metadata" JSONB NOT NULL,
    "archived_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vaults_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "vault_credentials" (
    "id" TEXT NOT NULL,
    "vault_id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "auth_type" TEXT NOT NULL,
    "mcp_server_url" TEXT NOT NULL,
    "secret" BYTEA NOT NULL,
    "metadata" JSONB NOT NULL,
    "archived_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vault_credentials_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "vaults_workspace_id_id_idx" ON "vaults"("workspace_id", "id");

CREATE INDEX "vault_credentials_vault_id_id_idx" ON "vault_credentials"("vault_id", "id");

ALTER TABLE "vaults" ADD CONSTRAINT "vaults_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "vault_credentials" ADD CONSTRAINT "vault_credentials_vault_id_fkey" FOREIGN KEY ("vault_id") REFERENCES "vaults"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "sessions" ADD COLUMN "vault_ids" TEXT[] DEFAULT ARRAY[]::TEXT[];
