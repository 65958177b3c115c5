import { createHash } from 'node:crypto';

/** What OpenAI-compatible servers accept as a function name. */
const ALLOWED = /^[a-zA-Z0-9_-]+$/;
const MAX_LENGTH = 64;
const PREFIX = 'mcp__';
const SEPARATOR = '__';

/**
 * The name an MCP server's tool is offered to the model under: `mcp__<server>__<tool>`. When that
 * would not be plain (a character outside the model's charset, a `__` inside the server's name that
 * would make the split ambiguous, or more than 64 chars), it is sanitised, cut and suffixed with a
 * hash of the real pair, so two different tools never share a name. The event log keeps the real
 * names; this function gives the same answer whenever the conversation is rebuilt from it.
 */
export function mcpToolName(server: string, tool: string): string {
  const plain = `${PREFIX}${server}${SEPARATOR}${tool}`;
  if (ALLOWED.test(plain) && plain.length <= MAX_LENGTH && !server.includes(SEPARATOR)) return plain;
  const hash = createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, 8);
  const sanitised = `${PREFIX}${server.replace(/[^a-zA-Z0-9_-]/g, '_')}${SEPARATOR}${tool.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return `${sanitised.slice(0, MAX_LENGTH - hash.length - 1)}_${hash}`;
}

/**
 * The form a credential's `mcp_server_url` and an agent's server URL are compared in: the URL
 * parser's (scheme and host lower-cased, a default port dropped), without a fragment or trailing slashes.
 */
export function normaliseServerUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}${parsed.search}`;
}
