import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { DEFAULT_WORKSPACE_ID, TokensService } from '@stratus/nest-common';
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

  it('issues admin tokens only when asked: they open the queue dashboard and nothing of the public API', async () => {
    const { out } = await cli('workspaces', 'create', '--name', 'operators', '--json');
    const created = JSON.parse(out);
    expect(created.token.scopes).toEqual(['read', 'write']);
    const issued = JSON.parse((await cli('tokens', 'create', '--workspace', created.workspace.id, '--scope', 'admin', '--json')).out);
    expect(issued.scopes).toEqual(['admin']);
    expect((await api.app.get(TokensService).verify(issued.secret))?.scopes).toEqual(['admin']);
    expect((await api.request('GET', '/agents', { token: issued.secret })).status).toBe(403);
    const listed = JSON.parse((await cli('tokens', 'list', '--workspace', created.workspace.id, '--json')).out);
    expect(listed.map((t: { scopes: string[] }) => t.scopes)).toEqual(expect.arrayContaining([['read', 'write'], ['admin']]));
  });

  it('explains bad usage with exit code 2', async () => {
    expect((await cli('tokens', 'create')).code).toBe(2);
    expect((await cli('tokens', 'create', '--workspace', 'wksp_nope')).err).toContain('is not a workspace id');
    expect((await cli('tokens', 'revoke', 'tok_nope')).code).toBe(2);
    expect((await cli('frobnicate')).err).toContain('unknown command');
    expect((await cli('workspaces', 'create', '--name', 'x', '--scope', 'root')).err).toContain('"root" is not a scope (one of read, write, admin)');
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

  it('lists workspaces with a header row, the default one named', async () => {
    const { code, out } = await cli('workspaces', 'list');
    expect(code).toBe(0);
    const [header, ...rows] = out.trim().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+ACTIVE TOKENS\s+CREATED$/);
    expect(rows.length).toBeGreaterThan(0);
    const listed = JSON.parse((await cli('workspaces', 'list', '--json')).out) as { id: string; default: boolean }[];
    expect(listed.map((w) => w.id)).toEqual(rows.map((row) => row.split(/\s+/)[0]));
  });

  it('marks the default workspace that holds the bootstrap token', async () => {
    await api.app.get(TokensService).ensureBootstrapToken('pt-cli-test-bootstrap-token-0123456789abcdef');
    const { out } = await cli('workspaces', 'list');
    expect(out).toContain(`${DEFAULT_WORKSPACE_ID}  default (default)`);
    const listed = JSON.parse((await cli('workspaces', 'list', '--json')).out) as { id: string; default: boolean }[];
    expect(listed.find((w) => w.id === DEFAULT_WORKSPACE_ID)?.default).toBe(true);
  });

  it('answers every command with --json for scripts', async () => {
    const created = JSON.parse((await cli('workspaces', 'create', '--name', 'scripted', '--json')).out);
    expect(created.workspace.id).toMatch(/^wksp_/);
    expect(created.token.secret).toMatch(/^pt-/);
    const issued = JSON.parse((await cli('tokens', 'create', '--workspace', created.workspace.id, '--scope', 'read', '--json')).out);
    expect(issued).toMatchObject({ workspace_id: created.workspace.id, scopes: ['read'] });
    const tokens = JSON.parse((await cli('tokens', 'list', '--workspace', created.workspace.id, '--json')).out) as { id: string; revoked_at: string | null }[];
    expect(tokens.map((t) => t.id).sort()).toEqual([created.token.id, issued.id].sort());
    expect(JSON.stringify(tokens)).not.toContain(issued.secret);
    expect(JSON.parse((await cli('tokens', 'revoke', issued.id, '--json')).out)).toEqual({ id: issued.id, revoked: true });
  });

  it('refuses a malformed id in one line with exit code 2, and a missing object with exit code 1', async () => {
    const typo = await cli('tokens', 'list', '--workspace', 'wksp_typo');
    expect(typo.code).toBe(2);
    expect(typo.err.trim().split('\n')).toHaveLength(1);
    expect(typo.err).toContain('"wksp_typo" is not a workspace id');
    const missing = await cli('tokens', 'list', '--workspace', `wksp_${'0'.repeat(31)}1`);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no workspace');
    const unknownToken = await cli('tokens', 'revoke', `tok_${'f'.repeat(32)}`);
    expect(unknownToken.code).toBe(1);
    expect((await cli('tokens', 'list', '--workspace', `wksp_${'0'.repeat(32)}`, '--frobnicate')).err).toMatch(/^stratus tokens list: Unknown option '--frobnicate'.*\n$/);
    expect((await cli('tokens')).err).toBe('stratus tokens: which one? list, create, revoke (stratus --help)\n');
  });

  it('prints help for one command, and the whole usage only when asked', async () => {
    const help = await cli('tokens', 'create', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('usage: stratus tokens create --workspace WORKSPACE_ID');
    expect(help.out).not.toContain('workspaces list');
    const all = await cli('--help');
    expect(all.out).toContain('workspaces list');
    expect(all.out).toContain('tokens revoke');
    expect((await cli('frobnicate')).err).not.toContain('usage:');
  });
});
