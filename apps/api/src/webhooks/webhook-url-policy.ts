import { invalidRequest } from '@stratus/nest-common';
import { AllowListError, isAllowedHost, isPrivateAddress, parseAllowedHosts, type AllowedHost } from '@stratus/net-guard';
import { isIP } from 'node:net';

/**
 * Where a webhook may point, checked when it is created or changed: https, or plain http to a host on the
 * operator's allow-list (STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS); no credentials in the URL; and an IP
 * literal in a private, loopback or special range only when the allow-list names it. Host names are
 * resolved at delivery time, where the worker checks the address it connects to.
 */
export class WebhookUrlPolicy {
  constructor(private readonly allowed: readonly AllowedHost[]) {}

  /** Reads the allow-list; a bad value stops the process at boot, naming the variable. */
  static fromEnv(env: NodeJS.ProcessEnv): WebhookUrlPolicy {
    try {
      return new WebhookUrlPolicy(parseAllowedHosts(env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS));
    } catch (error) {
      if (error instanceof AllowListError) throw new Error(`invalid configuration:\n  STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: ${error.message}`);
      throw error;
    }
  }

  /** Throws a 400 naming `url` unless the URL may receive deliveries. */
  check(raw: string): void {
    const url = new URL(raw);
    const allowed = isAllowedHost(this.allowed, url);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowed)) {
      throw invalidRequest('url: must be an https URL (plain http only to hosts on STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS).', 'url');
    }
    if (url.username || url.password) throw invalidRequest('url: must not carry credentials; authenticate deliveries with the signature.', 'url');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0 && isPrivateAddress(host) && !allowed) {
      throw invalidRequest(`url: ${host} is a private or special-purpose address; an operator may allow it with STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS.`, 'url');
    }
  }
}
