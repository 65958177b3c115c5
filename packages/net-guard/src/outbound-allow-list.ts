/**
 * The operator's exceptions to the private-address rule for connections the control plane makes
 * itself (MCP servers, webhooks): STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS, comma-separated
 * `host[:port]` patterns. A host is a name or an IP literal (IPv6 in brackets) compared exactly,
 * case-insensitively; a missing port means the URL's default port, `*` any port.
 */
export interface AllowedHost {
  host: string;
  /** A port, '*' for any, or 'default' for the URL scheme's (80 or 443). */
  port: number | '*' | 'default';
}

export class AllowListError extends Error {}

const PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}|\*))?$/;

/** Parses the variable's value; throws AllowListError naming the bad entry. */
export function parseAllowedHosts(value: string | undefined): AllowedHost[] {
  if (!value?.trim()) return [];
  return value.split(',').map((raw) => {
    const entry = raw.trim();
    const match = PATTERN.exec(entry);
    if (!match) throw new AllowListError(`"${entry}" is not host[:port] (port a number or *)`);
    const host = match[1]!.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const port = match[2];
    if (port === undefined) return { host, port: 'default' };
    if (port === '*') return { host, port: '*' };
    const number = Number(port);
    if (number < 1 || number > 65535) throw new AllowListError(`"${entry}": port must be 1 to 65535`);
    return { host, port: number };
  });
}

/** Whether a URL's host and port are on the list. */
export function isAllowedHost(allowed: readonly AllowedHost[], url: URL): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  return allowed.some((entry) => entry.host === host && (entry.port === '*' || (entry.port === 'default' ? port === defaultPort : entry.port === port)));
}
