import { DestinationRefused, isPrivateAddress, resolveDestination, type Resolver } from '../src';

describe('resolveDestination', () => {
  const resolver = (answers: Record<string, string[]>): Resolver => async (host) => (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('returns the checked address of a public name', async () => {
    expect(await resolveDestination('example.org', resolver({ 'example.org': ['93.184.215.14'] }), false)).toBe('93.184.215.14');
  });

  it('refuses a name with any private answer, and private literals, unless private is allowed', async () => {
    const answers = resolver({ 'mixed.example': ['93.184.215.14', '10.0.0.1'] });
    await expect(resolveDestination('mixed.example', answers, false)).rejects.toThrow(DestinationRefused);
    await expect(resolveDestination('[::1]', answers, false)).rejects.toThrow(DestinationRefused);
    await expect(resolveDestination('127.0.0.1', answers, true)).resolves.toBe('127.0.0.1');
  });

  it('treats what is not an address as private', () => {
    expect(isPrivateAddress('not-an-ip')).toBe(true);
  });
});
