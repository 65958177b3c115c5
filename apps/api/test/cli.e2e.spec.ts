import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { runCli } from '../src/cli';
import { startTestApi, type TestApi } from './harness';

let db: TestDatabase;
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  db = api.db;
});
afterAll(() => api.close());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: testRedisPrefix(), LOG_LEVEL: 'silent' }, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('stratus CLI', () => {
  it('creates a workspace and prints a working token once', async () => {
    const { code, out } = await cli('workspaces', 'create', '--name', 'acme');
    expect(code).toBe(0);
    const [workspaceLine, tokenLine, secret] = out.trim().split('\n');
    expect(workspaceLine).toMatch(/^workspace wksp_[0-9a-f]{32}$/);
    expect(tokenLine).toMatch(/^token tok_[0-9a-f]{32}$/);
    expect(secret).toMatch(/^pt-[A-Za-z0-9_-]{43}$/);
    expect((await api.request('GET', '/agents', { token: secret! })).status).toBe(200);
    const listed = await cli('tokens', 'list', '--workspace', workspaceLine!.split(' ')[1]!);
    expect(listed.out).toContain(tokenLine!.split(' ')[1]);
    expect(listed.out).not.toContain(secret);
  });

  it('issues read-only tokens and revokes tokens', async () => {
    const { out } = await cli('workspaces', 'create', '--name', 'beta');
    const workspaceId = out.split('\n')[0]!.split(' ')[1]!;
    const issued = await cli('tokens', 'create', '--workspace', workspaceId, '--scope', 'read');
    const [tokenLine, secret] = issued.out.trim().split('\n');
    expect((await api.request('GET', '/agents', { token: secret! })).status).toBe(200);
    expect((await api.request('POST', '/agents', { token: secret!, body: { name: 'a', model: 'stratus-demo' } })).status).toBe(403);
    expect((await cli('tokens', 'revoke', tokenLine!.split(' ')[1]!)).code).toBe(0);
    expect((await api.request('GET', '/agents', { token: secret! })).status).toBe(401);
  });

  it('explains bad usage with exit code 2', async () => {
    expect((await cli('tokens', 'create')).code).toBe(2);
    expect((await cli('tokens', 'create', '--workspace', 'wksp_nope')).err).toContain('no workspace');
    expect((await cli('tokens', 'revoke', 'tok_nope')).code).toBe(2);
    expect((await cli('frobnicate')).err).toContain('unknown command');
    expect((await cli('workspaces', 'create', '--name', 'x', '--scope', 'admin')).code).toBe(2);
  });

  it('creates the database and migrates it when it does not exist yet', async () => {
    const fresh: TestDatabase = await createTestDatabase('stratus_cli');
    await fresh.drop();
    let out = '';
    const code = await runCli(['workspaces', 'create', '--name', 'fresh'], { DATABASE_URL: fresh.url, LOG_LEVEL: 'silent' }, { out: (t) => (out += t), err: () => undefined });
    expect(code).toBe(0);
    expect(out).toMatch(/^workspace wksp_/);
    await fresh.drop();
  });
});
