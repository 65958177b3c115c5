import { EgressCredentialError, egressProxyUrl, signEgressGrant, verifyEgressGrant, type EgressGrant } from './egress-credential';

const KEY = 'k'.repeat(40);
const grant: EgressGrant = { sessionId: 'sess_1', workspaceId: 'wksp_1', policy: { type: 'allowed_hosts', allowed_hosts: ['api.github.com', '*.example.com'] }, expiresAt: 2_000_000_000 };
const now = 1_900_000_000_000;

describe('egress credentials', () => {
  it('round-trips a grant signed with the key', () => {
    expect(verifyEgressGrant(signEgressGrant(grant, KEY), [KEY], now)).toEqual(grant);
  });

  it('accepts any key of a rotation and refuses an unknown one', () => {
    const credential = signEgressGrant(grant, KEY);
    expect(verifyEgressGrant(credential, ['n'.repeat(40), KEY], now)).toEqual(grant);
    expect(() => verifyEgressGrant(credential, ['n'.repeat(40)], now)).toThrow(EgressCredentialError);
  });

  it('refuses a credential whose policy was altered, a malformed one and an expired one', () => {
    const [version, , signature] = signEgressGrant(grant, KEY).split('.');
    const widened = signEgressGrant({ ...grant, policy: { type: 'unrestricted' } }, KEY).split('.')[1];
    expect(() => verifyEgressGrant(`${version}.${widened}.${signature}`, [KEY], now)).toThrow('does not verify');
    expect(() => verifyEgressGrant('garbage', [KEY], now)).toThrow('malformed');
    expect(() => verifyEgressGrant(signEgressGrant(grant, KEY), [KEY], grant.expiresAt * 1000)).toThrow('expired');
  });

  it('fits 256 long allowed hosts into a proxy URL a client can send', () => {
    const hosts = Array.from({ length: 256 }, (_, i) => `service-${i}.internal-registry.example-company.com`);
    const url = egressProxyUrl('http://stratus-egress-proxy.stratus.svc:3128', { ...grant, policy: { type: 'allowed_hosts', allowed_hosts: hosts } }, KEY);
    expect(url.length).toBeLessThan(16 * 1024);
    const parsed = new URL(url);
    expect(parsed.username).toBe('sess_1');
    expect(verifyEgressGrant(parsed.password, [KEY], now).policy).toEqual({ type: 'allowed_hosts', allowed_hosts: hosts });
  });

  it('refuses to sign with a short key', () => {
    expect(() => signEgressGrant(grant, 'short')).toThrow('at least 32');
  });
});
