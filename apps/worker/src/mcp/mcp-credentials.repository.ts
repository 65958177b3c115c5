import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, SecretBox } from '@stratus/db';
import { PRISMA, SECRET_BOX } from '@stratus/nest-common';
import { normaliseServerUrl } from './mcp-tool-names';

/**
 * The secrets of a session's vaults, read only when the worker connects to an MCP server: the
 * newest credential, of the session's vaults in its workspace, whose `mcp_server_url` matches the
 * server's URL. Archived credentials and vaults are not used.
 */
@Injectable()
export class McpCredentialsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async bearerToken(workspaceId: string, vaultIds: readonly string[], serverUrl: string): Promise<string | undefined> {
    if (vaultIds.length === 0) return undefined;
    const rows = await this.prisma.vaultCredential.findMany({
      where: { workspaceId, vaultId: { in: [...vaultIds] }, archivedAt: null, authType: 'static_bearer', vault: { archivedAt: null } },
      orderBy: { id: 'desc' },
      select: { mcpServerUrl: true, secret: true },
    });
    const wanted = normaliseServerUrl(serverUrl);
    const match = rows.find((row) => normaliseServerUrl(row.mcpServerUrl) === wanted);
    return match ? this.secrets.open<{ token: string }>(match.secret).token : undefined;
  }
}
