import { isIP } from 'node:net';
import { DestinationRefused, isAllowedHost, resolveDestination, systemResolver, type AllowedHost, type Resolver } from '@stratus/net-guard';
import { Agent, fetch as undiciFetch } from 'undici';

/** A fetch as the MCP SDK's transports take it. */
export type PinnedFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError';
}

/**
 * A fetch that reaches `url`'s host only at the address checked here: the name is resolved once,
 * refused when any of its addresses is private, loopback or special (unless the operator's
 * allow-list names the host and port), and every connection then goes to that address, while TLS
 * SNI and the Host header keep the name. A DNS answer that changes after the check cannot move the
 * connection elsewhere, and neither can a redirect to another host.
 */
export async function pinnedFetch(url: URL, allowList: readonly AllowedHost[], resolver: Resolver = systemResolver): Promise<{ fetch: PinnedFetch; close: () => Promise<void> }> {
  let address: string;
  try {
    address = await resolveDestination(url.hostname, resolver, isAllowedHost(allowList, url));
  } catch (error) {
    if (error instanceof DestinationRefused) {
      throw new OutboundRefusedError(`${url.host} resolves to a private or special-purpose address; connections there are refused unless STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS lists it`);
    }
    throw error;
  }
  const family = isIP(address);
  const agent = new Agent({
    connect: {
      lookup: (_hostname, options, callback) => {
        if (options.all) callback(null, [{ address, family }]);
        else callback(null, address, family);
      },
    },
  });
  const origin = url.origin;
  const fetch: PinnedFetch = async (target, init) => {
    if (new URL(target).origin !== origin) throw new OutboundRefusedError(`refusing to follow the MCP server to another origin (${new URL(target).origin})`);
    // undici's own fetch, which takes its Agent (the global fetch may bundle another undici).
    const response = await undiciFetch(target, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent, redirect: 'manual' });
    return response;
  };
  return { fetch, close: () => agent.close() };
}
