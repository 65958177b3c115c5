import { AllowListError, isAllowedHost, parseAllowedHosts } from '../src';

describe('STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS', () => {
  it('parses host, host:port, host:* and bracketed IPv6 entries', () => {
    expect(parseAllowedHosts(' mcp.internal:8443 , 10.0.0.5:*,[::1]:3000,hooks.local ')).toEqual([
      { host: 'mcp.internal', port: 8443 },
      { host: '10.0.0.5', port: '*' },
      { host: '::1', port: 3000 },
      { host: 'hooks.local', port: 'default' },
    ]);
    expect(parseAllowedHosts(undefined)).toEqual([]);
    expect(parseAllowedHosts('  ')).toEqual([]);
  });

  it('refuses malformed entries, naming them', () => {
    expect(() => parseAllowedHosts('ok.host,http://x')).toThrow(AllowListError);
    expect(() => parseAllowedHosts('host:99999')).toThrow(/port must be 1 to 65535/);
    expect(() => parseAllowedHosts('host:abc')).toThrow(/"host:abc"/);
  });

  it('matches a URL by exact host and port; no port means the scheme default, * any port', () => {
    const allowed = parseAllowedHosts('mcp.internal:8443,10.0.0.5:*,[::1]:3000,hooks.local');
    expect(isAllowedHost(allowed, new URL('https://MCP.internal:8443/mcp'))).toBe(true);
    expect(isAllowedHost(allowed, new URL('https://mcp.internal/mcp'))).toBe(false);
    expect(isAllowedHost(allowed, new URL('http://10.0.0.5:1234/'))).toBe(true);
    expect(isAllowedHost(allowed, new URL('http://[::1]:3000/'))).toBe(true);
    expect(isAllowedHost(allowed, new URL('http://[::1]:3001/'))).toBe(false);
    expect(isAllowedHost(allowed, new URL('http://hooks.local/'))).toBe(true);
    expect(isAllowedHost(allowed, new URL('https://hooks.local/'))).toBe(true);
    expect(isAllowedHost(allowed, new URL('http://hooks.local:8080/'))).toBe(false);
    expect(isAllowedHost(allowed, new URL('http://sub.hooks.local/'))).toBe(false);
  });
});
