import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Resolves a host name to its addresses (injectable so tests can name loopback servers). */
export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Addresses a sandbox must not reach through the proxy, whatever its networking mode and even when
 * its host name is allowed: the proxy runs beside the control plane, so a name that resolves to a
 * private, loopback or link-local address (the cloud metadata service, a Service IP, a pod, the
 * host's database) would be a way into it. Besides those: every IANA special-purpose range that is
 * not the public internet, and the IPv6 prefixes that embed an IPv4 address (NAT64, 6to4, Teredo),
 * through which 127.0.0.1 or 10.x could be reached under another name. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d, also written ::ffff:7f00:1) are checked against the IPv4 list by BlockList itself.
 */
export const BLOCKED_IPV4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

export const BLOCKED_IPV6: readonly (readonly [string, number])[] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments, Teredo among them
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const BLOCKED = new BlockList();
for (const [network, prefix] of BLOCKED_IPV4) BLOCKED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of BLOCKED_IPV6) BLOCKED.addSubnet(network, prefix, 'ipv6');

/** True for an address in any blocked range (an IPv4-mapped IPv6 address counts as its IPv4 address). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export class DestinationRefused extends Error {}

/**
 * The address to connect to for `host`: resolved once here and used for the connection, so a DNS
 * answer cannot change between the check and the connect. Throws DestinationRefused when any
 * address of the name is blocked (a name with one public and one private address is refused).
 */
export async function resolveDestination(host: string, resolver: Resolver, allowPrivate: boolean): Promise<string> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(bare) !== 0 ? [{ address: bare, family: isIP(bare) }] : await resolver(bare);
  if (addresses.length === 0) throw new Error(`${host} did not resolve`);
  if (!allowPrivate) {
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked !== undefined) throw new DestinationRefused(`${host} resolves to a private address (${blocked.address}); the egress proxy does not connect there`);
  }
  return addresses[0]!.address;
}
