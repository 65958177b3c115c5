/**
 * @module @stratus/net-guard
 * One home for the rule of where Stratus connects on a tenant's behalf: the egress proxy (for
 * sandboxes) and the control plane's own outbound calls (MCP servers, webhooks) refuse the same
 * ranges, resolve a name once and connect to the address they checked.
 */
export { BLOCKED_IPV4, BLOCKED_IPV6, DestinationRefused, isPrivateAddress, resolveDestination, systemResolver, type Resolver } from './destination-guard';
export { AllowListError, isAllowedHost, parseAllowedHosts, type AllowedHost } from './outbound-allow-list';
