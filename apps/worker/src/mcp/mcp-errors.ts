import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OutboundRefusedError } from './pinned-fetch';

/** The session.error types of an MCP server the turn goes on without (Claude Managed Agents' names). */
export type McpErrorType = 'mcp_connection_failed_error' | 'mcp_authentication_failed_error';

export class McpTimeoutError extends Error {
  override name = 'McpTimeoutError';
}

/** Why connecting to a server failed, as the session.error that reports it. */
export function classifyMcpFailure(server: string, error: unknown): { type: McpErrorType; message: string } {
  const status = error instanceof StreamableHTTPError || error instanceof SseError ? error.code : undefined;
  if (error instanceof UnauthorizedError || status === 401 || status === 403) {
    return { type: 'mcp_authentication_failed_error', message: `MCP server "${server}" refused the credentials (HTTP ${status ?? 401}); its tools are not available in this turn.` };
  }
  const why = error instanceof OutboundRefusedError || error instanceof McpTimeoutError ? error.message : describe(error);
  return { type: 'mcp_connection_failed_error', message: `MCP server "${server}" could not be reached (${why}); its tools are not available in this turn.` };
}

/** A failure's message and its cause's (fetch hides the network error, e.g. ECONNREFUSED, there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** Whether a failed streamable HTTP connect means the server only speaks the older SSE transport. */
export function wantsSseFallback(error: unknown): boolean {
  return error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500 && error.code !== 401 && error.code !== 403;
}
