import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResultSchema, ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer, McpToolset, PermissionPolicy } from '@stratus/contracts';
import type { WorkerEnv } from '../config/worker-env';
import { capText, type ToolOutcome } from '../tools/tool-output';
import { WORKER_ENV } from '../worker.tokens';
import { McpCredentialsRepository } from './mcp-credentials.repository';
import { classifyMcpFailure, McpTimeoutError, wantsSseFallback, type McpErrorType } from './mcp-errors';
import { mcpToolName } from './mcp-tool-names';
import { pinnedFetch } from './pinned-fetch';

/** An MCP server's tool as offered to the model. */
export interface McpToolSpec {
  kind: 'mcp';
  /** The name the model calls it by (mcpToolName). */
  name: string;
  server: string;
  tool: string;
  description: string;
  inputSchema: Record<string, unknown>;
  permission: PermissionPolicy;
}

/** A server the turn goes on without. */
export interface McpServerFailure {
  server: string;
  type: McpErrorType;
  message: string;
}

/** What a session's MCP toolsets need: its servers, toolsets and the vaults its credentials come from. */
export interface McpSessionRef {
  sessionId: string;
  workspaceId: string;
  vaultIds: readonly string[];
  servers: readonly McpServer[];
  toolsets: readonly McpToolset[];
}

interface Connection {
  /** The server's URL and credential it was opened with: a change opens a new one. */
  key: string;
  client: Client;
  close: () => Promise<void>;
  /** Undefined until listed, and again after the server says its list changed. */
  tools?: Tool[];
  lastUsed: number;
}

/**
 * The worker's MCP clients, one per session and server, kept while the session is in use (a turn,
 * its next turns) and closed after STRATUS_MCP_IDLE_TIMEOUT_MS unused. Each turn asks for the
 * session's toolsets: servers are connected (streamable HTTP, the older SSE transport when the
 * server answers that way) through the outbound address guard, with the bearer token of the
 * session's vault credential for that URL, and their tool lists are kept until the server sends
 * notifications/tools/list_changed. A server that cannot be reached, times out or refuses the
 * credentials is reported and left out; the turn goes on.
 */
@Injectable()
export class McpConnectionsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(McpConnectionsService.name);
  private readonly sessions = new Map<string, Map<string, Connection>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    private readonly credentials: McpCredentialsRepository,
  ) {}

  onModuleInit(): void {
    const every = Math.min(this.env.STRATUS_MCP_IDLE_TIMEOUT_MS, 60_000);
    this.sweeper = setInterval(() => void this.closeIdle(), every);
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()].flatMap((servers) => [...servers.values()]);
    this.sessions.clear();
    await Promise.all(all.map((connection) => connection.close().catch(() => undefined)));
  }

  /** The tools of every MCP toolset of the session's agent, and the servers left out. */
  async toolset(ref: McpSessionRef): Promise<{ tools: McpToolSpec[]; failures: McpServerFailure[] }> {
    const results = await Promise.all(
      ref.toolsets.map(async (toolset) => {
        const server = ref.servers.find((s) => s.name === toolset.mcp_server_name);
        if (!server) return { tools: [], failure: { server: toolset.mcp_server_name, type: 'mcp_connection_failed_error' as const, message: `No MCP server named "${toolset.mcp_server_name}" is declared.` } };
        try {
          const tools = await this.tools(ref, server);
          return { tools: specsOf(server.name, toolset, tools) };
        } catch (error) {
          const failure = { server: server.name, ...classifyMcpFailure(server.name, error) };
          this.logger.warn({ sessionId: ref.sessionId, server: server.name, type: failure.type, err: failure.message }, 'MCP server unavailable');
          return { tools: [], failure };
        }
      }),
    );
    return { tools: results.flatMap((r) => r.tools), failures: results.flatMap((r) => (r.failure ? [r.failure] : [])) };
  }

  /** Calls a tool on a server connected by toolset(); what goes wrong comes back as an error outcome. */
  async call(sessionId: string, server: string, tool: string, input: unknown, signal: AbortSignal, maxBytes: number): Promise<ToolOutcome> {
    const connection = this.sessions.get(sessionId)?.get(server);
    if (!connection) return { text: `MCP server "${server}" is not connected in this turn; the tool "${tool}" could not run.`, isError: true };
    connection.lastUsed = Date.now();
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return { text: `Invalid arguments for ${tool}: expected a JSON object.`, isError: true };
    try {
      const result = await connection.client.callTool({ name: tool, arguments: input as Record<string, unknown> }, undefined, {
        signal,
        timeout: this.env.STRATUS_MCP_CALL_TIMEOUT_MS,
      });
      return resultOutcome(result, maxBytes);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return { text: `MCP tool ${tool} on "${server}" failed: ${error instanceof Error ? error.message : String(error)}`, isError: true };
    }
  }

  private async tools(ref: McpSessionRef, server: McpServer): Promise<Tool[]> {
    const token = await this.credentials.bearerToken(ref.workspaceId, ref.vaultIds, server.url);
    const key = `${server.url}\0${token === undefined ? '' : createHash('sha256').update(token).digest('hex')}`;
    const servers = this.sessions.get(ref.sessionId) ?? new Map<string, Connection>();
    this.sessions.set(ref.sessionId, servers);
    let connection = servers.get(server.name);
    if (connection && connection.key !== key) {
      servers.delete(server.name);
      await connection.close().catch(() => undefined);
      connection = undefined;
    }
    if (!connection) {
      connection = await this.withTimeout(server.name, this.connect(server, key, token));
      servers.set(server.name, connection);
    }
    connection.lastUsed = Date.now();
    if (!connection.tools) {
      const opened = connection;
      try {
        opened.tools = await this.withTimeout(server.name, listAll(opened.client));
      } catch (error) {
        servers.delete(server.name);
        await opened.close().catch(() => undefined);
        throw error;
      }
    }
    return connection.tools ?? [];
  }

  private async connect(server: McpServer, key: string, token: string | undefined): Promise<Connection> {
    const url = new URL(server.url);
    const pinned = await pinnedFetch(url, this.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS);
    const requestInit: RequestInit = token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } };
    const open = async (transport: Transport): Promise<Client> => {
      const client = new Client({ name: 'stratus-worker', version: '1.0.0' });
      await client.connect(transport, { timeout: this.env.STRATUS_MCP_CONNECT_TIMEOUT_MS });
      return client;
    };
    let client: Client;
    try {
      try {
        client = await open(new StreamableHTTPClientTransport(url, { fetch: pinned.fetch, requestInit }));
      } catch (error) {
        if (!wantsSseFallback(error)) throw error;
        client = await open(new SSEClientTransport(url, { fetch: pinned.fetch, requestInit }));
      }
    } catch (error) {
      await pinned.close().catch(() => undefined);
      throw error;
    }
    const connection: Connection = {
      key,
      client,
      lastUsed: Date.now(),
      close: async () => {
        await client.close().catch(() => undefined);
        await pinned.close();
      },
    };
    // The next turn lists again; a call the model makes meanwhile still goes to the server by name.
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      connection.tools = undefined;
    });
    return connection;
  }

  private async withTimeout<T>(server: string, work: Promise<T>): Promise<T> {
    const ms = this.env.STRATUS_MCP_CONNECT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new McpTimeoutError(`no answer from "${server}" within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async closeIdle(): Promise<void> {
    const before = Date.now() - this.env.STRATUS_MCP_IDLE_TIMEOUT_MS;
    for (const [sessionId, servers] of this.sessions) {
      for (const [name, connection] of servers) {
        if (connection.lastUsed >= before) continue;
        servers.delete(name);
        await connection.close().catch(() => undefined);
      }
      if (servers.size === 0) this.sessions.delete(sessionId);
    }
  }
}

async function listAll(client: Client): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

/** The toolset's tools the model is offered, each with the permission policy that applies to it. */
function specsOf(server: string, toolset: McpToolset, tools: readonly Tool[]): McpToolSpec[] {
  return tools.flatMap((tool) => {
    const config = toolset.configs?.find((c) => c.name === tool.name);
    if (config?.enabled === false) return [];
    return [
      {
        kind: 'mcp' as const,
        name: mcpToolName(server, tool.name),
        server,
        tool: tool.name,
        description: tool.description ?? '',
        inputSchema: tool.inputSchema,
        permission: config?.permission_policy ?? toolset.permission_policy,
      },
    ];
  });
}

/** A tool result as the model reads it: text blocks as they are, other blocks named by their type. */
function resultOutcome(result: unknown, maxBytes: number): ToolOutcome {
  const parsed = CallToolResultSchema.safeParse(result);
  if (!parsed.success) return { text: capText(JSON.stringify(result), maxBytes), isError: false };
  const { content, structuredContent, isError } = parsed.data;
  const text = content.length === 0 && structuredContent ? JSON.stringify(structuredContent) : content.map((block) => (block.type === 'text' ? block.text : `[${block.type} content]`)).join('\n');
  return { text: capText(text, maxBytes), isError: isError === true };
}
