import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  OverloadedError,
  Stratus,
  type ReconnectInfo,
  type SessionEvent,
  type StreamEvent,
} from '@stratus/sdk';
import { startAllInOne, type AllInOneProcess } from '@stratus/testing';
import { startFaultyProxy, type FaultyProxy } from './support/faulty-proxy';
import { ROOT } from './support/readme';

// The SDK against the built all-in-one: every resource, pagination, retries through a proxy that
// fails on purpose, a stream whose connection the test cuts, and whole turns on the demo model.

let app: AllInOneProcess;
let proxy: FaultyProxy;
let stratus: Stratus;
/** The same client through the proxy, with short backoff delays. */
let viaProxy: Stratus;
const unique = () => Math.random().toString(36).slice(2, 10);
const NO_NETWORK = { type: 'cloud', networking: { type: 'none' } } as const;

beforeAll(async () => {
  app = await startAllInOne({ databaseName: 'stratus_sdk' });
  proxy = await startFaultyProxy(app.baseUrl);
  stratus = new Stratus({ baseURL: app.baseUrl, token: app.token });
  viaProxy = new Stratus({ baseURL: proxy.url, token: app.token, maxRetries: 3, retry: { initialDelayMs: 10, maxDelayMs: 40 } });
}, 240_000);

afterEach(() => {
  proxy.plan(() => ({ kind: 'forward' }));
  proxy.seen.length = 0;
});

afterAll(async () => {
  await proxy?.close();
  await app?.stop();
});

async function newAgent(name = `agent-${unique()}`) {
  return stratus.agents.create({ name, model: 'stratus-demo', system: 'You are a helpful assistant.', tools: [{ type: 'agent_toolset_20260401' }] });
}

async function newSession() {
  const agent = await newAgent();
  const environment = await stratus.environments.create({ name: `env-${unique()}`, config: NO_NETWORK });
  return stratus.sessions.create({ agent: agent.id, environment_id: environment.id });
}

describe('the SDK against a real Stratus', () => {
  it('lists the models, awaited as a page or iterated', async () => {
    const page = await stratus.models.list();
    expect(page.data.map((m) => m.id)).toContain('stratus-demo');
    const ids: string[] = [];
    for await (const model of stratus.models.list()) ids.push(model.id);
    expect(ids).toEqual(page.data.map((m) => m.id));
  });

  it('agents: create, retrieve, update to a new version, read a past version, list versions, archive', async () => {
    const created = await newAgent();
    expect(created).toMatchObject({ type: 'agent', version: 1, model: 'stratus-demo', archived_at: null });
    expect(await stratus.agents.retrieve(created.id)).toEqual(created);
    const updated = await stratus.agents.update(created.id, { system: 'Be brief.', version: 1 });
    expect(updated).toMatchObject({ id: created.id, version: 2, system: 'Be brief.' });
    expect((await stratus.agents.retrieve(created.id, { version: 1 })).system).toBe('You are a helpful assistant.');
    expect((await stratus.agents.versions(created.id).toArray()).map((a) => a.version)).toEqual([2, 1]);

    const archived = await stratus.agents.archive(created.id);
    expect(archived.archived_at).not.toBeNull();
    const visible = (await stratus.agents.list({ limit: 100 }).toArray()).map((a) => a.id);
    const all = (await stratus.agents.list({ limit: 100, include_archived: true }).toArray()).map((a) => a.id);
    expect(visible).not.toContain(created.id);
    expect(all).toContain(created.id);
  });

  it('throws typed errors carrying status, request_id and param', async () => {
    const missing = await stratus.agents.retrieve('agent_00000000000000000000000000000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, type: 'not_found_error', requestId: expect.stringMatching(/^req_/) });

    const invalid = await stratus.agents.create({ name: 'x', model: 'no-such-model' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect(invalid).toMatchObject({ status: 400, param: 'model' });

    const agent = await newAgent();
    await stratus.agents.update(agent.id, { description: 'v2' });
    const stale = await stratus.agents.update(agent.id, { description: 'v3', version: 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);

    const stranger = new Stratus({ baseURL: app.baseUrl, token: 'pt-not-a-token-of-this-server' });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('environments: create, retrieve, update, list, archive, delete', async () => {
    const env = await stratus.environments.create({ name: `env-${unique()}`, config: NO_NETWORK, metadata: { team: 'sdk' } });
    expect(env).toMatchObject({ type: 'environment', metadata: { team: 'sdk' }, config: { networking: { type: 'none' } } });
    expect(await stratus.environments.retrieve(env.id)).toEqual(env);
    expect((await stratus.environments.update(env.id, { description: 'for tests' })).description).toBe('for tests');
    expect((await stratus.environments.list({ limit: 100 }).toArray()).map((e) => e.id)).toContain(env.id);
    expect((await stratus.environments.archive(env.id)).archived_at).not.toBeNull();
    expect(await stratus.environments.delete(env.id)).toEqual({ id: env.id, type: 'environment_deleted' });
    await expect(stratus.environments.retrieve(env.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sessions: create, retrieve, update, list by agent, cancel when idle, archive, delete', async () => {
    const session = await newSession();
    expect(session).toMatchObject({ type: 'session', status: 'idle', agent: { id: session.agent_id } });
    expect((await stratus.sessions.retrieve(session.id)).id).toBe(session.id);
    expect((await stratus.sessions.update(session.id, { title: 'hello' })).title).toBe('hello');
    expect((await stratus.sessions.list({ agent_id: session.agent_id }).toArray()).map((s) => s.id)).toEqual([session.id]);
    expect((await stratus.sessions.list({ agent_id: session.agent_id, statuses: ['processing'] })).data).toEqual([]);
    expect(await stratus.sessions.cancel(session.id)).toEqual({ id: session.id, type: 'session', status: 'idle' });
    expect((await stratus.sessions.archive(session.id)).archived_at).not.toBeNull();
    await expect(stratus.sessions.events.send(session.id, { events: [{ type: 'user.message', content: 'hi' }] })).rejects.toBeInstanceOf(ConflictError);
    expect(await stratus.sessions.delete(session.id)).toEqual({ id: session.id, type: 'session_deleted' });
    await expect(stratus.sessions.retrieve(session.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('vaults and their credentials: create, retrieve, update, list, archive, delete; the token is never returned', async () => {
    const token = `secret-${unique()}`;
    const vault = await stratus.vaults.create({ display_name: `vault-${unique()}` });
    expect(await stratus.vaults.retrieve(vault.id)).toEqual(vault);
    expect((await stratus.vaults.update(vault.id, { display_name: 'renamed' })).display_name).toBe('renamed');

    const credential = await stratus.vaults.credentials.create(vault.id, { display_name: 'mcp', auth: { type: 'static_bearer', token, mcp_server_url: 'https://mcp.example.com/mcp' } });
    expect(credential).toMatchObject({ vault_id: vault.id, auth: { type: 'static_bearer', mcp_server_url: 'https://mcp.example.com/mcp' } });
    expect((await stratus.vaults.credentials.update(vault.id, credential.id, { display_name: 'mcp 2' })).display_name).toBe('mcp 2');
    const listed = [];
    for await (const item of stratus.vaults.credentials.list(vault.id)) listed.push(item);
    expect(listed.map((c) => c.id)).toEqual([credential.id]);
    const read = await stratus.vaults.credentials.retrieve(vault.id, credential.id);
    expect(JSON.stringify([credential, read, listed])).not.toContain(token);

    expect((await stratus.vaults.credentials.archive(vault.id, credential.id)).archived_at).not.toBeNull();
    expect(await stratus.vaults.credentials.list(vault.id)).toMatchObject({ data: [] });
    expect((await stratus.vaults.credentials.list(vault.id, { include_archived: true })).data.map((c) => c.id)).toEqual([credential.id]);
    expect(await stratus.vaults.credentials.delete(vault.id, credential.id)).toEqual({ id: credential.id, type: 'vault_credential_deleted' });
    await expect(stratus.vaults.credentials.retrieve(vault.id, credential.id)).rejects.toBeInstanceOf(NotFoundError);

    expect((await stratus.vaults.list()).data.map((v) => v.id)).toContain(vault.id);
    expect((await stratus.vaults.archive(vault.id)).archived_at).not.toBeNull();
    expect(await stratus.vaults.delete(vault.id)).toEqual({ id: vault.id, type: 'vault_deleted' });
    await expect(stratus.vaults.retrieve(vault.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('webhooks: create (the secret once), retrieve, update, list, rotate the secret, list deliveries, delete', async () => {
    // Disabled: nothing is delivered to the (public, unreachable) address while other tests run turns.
    const hook = await stratus.webhooks.create({ url: 'https://93.184.216.34/stratus', event_types: ['session.status_idle'], enabled: false });
    expect(hook.secret).toMatch(/^whsec_/);
    const read = await stratus.webhooks.retrieve(hook.id);
    expect(read).toMatchObject({ id: hook.id, enabled: false });
    expect(JSON.stringify(read)).not.toContain(hook.secret);
    expect((await stratus.webhooks.update(hook.id, { description: 'ops' })).description).toBe('ops');
    expect((await stratus.webhooks.list()).data.map((w) => w.id)).toContain(hook.id);
    const rotated = await stratus.webhooks.rotateSecret(hook.id, { grace_period_seconds: 0 });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(hook.secret);
    expect(await stratus.webhooks.deliveries(hook.id)).toMatchObject({ data: [] });
    expect(await stratus.webhooks.delete(hook.id)).toEqual({ id: hook.id, type: 'webhook_deleted' });
    await expect(stratus.webhooks.retrieve(hook.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('pages through a list with next_page: every item once, in order, one request per page', async () => {
    for (let i = 0; i < 5; i++) await newAgent();
    const expected = (await stratus.agents.list({ limit: 100 })).data.map((a) => a.id);
    expect(expected.length).toBeGreaterThanOrEqual(5);
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of viaProxy.agents.list({ limit: 2 }).pages()) {
      pages.push(page.data.length);
      ids.push(...page.data.map((a) => a.id));
    }
    expect(ids).toEqual(expected);
    expect(pages).toHaveLength(Math.ceil(expected.length / 2));
    expect(proxy.seen).toHaveLength(pages.length);
    expect(proxy.seen.slice(1).every((r) => /[?&]page=/.test(r.url))).toBe(true);

    // Ascending, iterated item by item, gives the same ids in the other order.
    const ascending: string[] = [];
    for await (const agent of stratus.agents.list({ limit: 3, order: 'asc' })) ascending.push(agent.id);
    expect(ascending).toEqual([...expected].reverse());
  });

  it('retries a 429 (honouring retry-after) and a 503, then succeeds', async () => {
    proxy.plan((_req, i) => (i === 0 ? { kind: 'fail', status: 429, retryAfter: '0' } : i === 1 ? { kind: 'fail', status: 503 } : { kind: 'forward' }));
    const page = await viaProxy.models.list();
    expect(page.data.map((m) => m.id)).toContain('stratus-demo');
    expect(proxy.seen).toHaveLength(3);
  });

  it('retries a POST whose answer was lost under the same Idempotency-Key: the agent is created once', async () => {
    const name = `retried-${unique()}`;
    // The server creates the agent, the proxy loses its answer (503); then a 429; then the replay.
    proxy.plan((_req, i) => (i === 0 ? { kind: 'forward-then-fail', status: 503 } : i === 1 ? { kind: 'fail', status: 429, retryAfter: '0' } : { kind: 'forward' }));
    const agent = await viaProxy.agents.create({ name, model: 'stratus-demo' });
    expect(proxy.seen).toHaveLength(3);
    const keys = proxy.seen.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    const named = (await stratus.agents.list({ limit: 100 }).toArray()).filter((a) => a.name === name);
    expect(named.map((a) => a.id)).toEqual([agent.id]);

    // A second logical call gets a key of its own.
    await viaProxy.agents.create({ name: `${name}-2`, model: 'stratus-demo' });
    expect(proxy.seen[3]!.headers['idempotency-key']).not.toBe(keys[0]);
  });

  it('gives up after maxRetries, and never retries an error that cannot pass', async () => {
    proxy.plan(() => ({ kind: 'fail', status: 503 }));
    await expect(viaProxy.models.list()).rejects.toBeInstanceOf(OverloadedError);
    expect(proxy.seen).toHaveLength(4);

    proxy.plan(() => ({ kind: 'forward' }));
    proxy.seen.length = 0;
    await expect(viaProxy.agents.create({ name: 'x', model: 'no-such-model' })).rejects.toBeInstanceOf(BadRequestError);
    expect(proxy.seen).toHaveLength(1);
  });

  it('never retries a POST without an Idempotency-Key: it could act twice', async () => {
    const withoutKeys = new Stratus({ baseURL: proxy.url, token: app.token, maxRetries: 3, idempotencyKeys: false, retry: { initialDelayMs: 10, maxDelayMs: 40 } });
    proxy.plan((_req, i) => (i === 0 ? { kind: 'fail', status: 503 } : { kind: 'forward' }));
    await expect(withoutKeys.agents.create({ name: `once-${unique()}`, model: 'stratus-demo' })).rejects.toBeInstanceOf(OverloadedError);
    expect(proxy.seen).toHaveLength(1);
    expect(proxy.seen[0]!.headers['idempotency-key']).toBeUndefined();

    // Given a key, the same call is retried.
    proxy.seen.length = 0;
    proxy.plan((_req, i) => (i === 0 ? { kind: 'fail', status: 503 } : { kind: 'forward' }));
    const agent = await withoutKeys.agents.create({ name: `keyed-${unique()}`, model: 'stratus-demo' }, { idempotencyKey: `key-${unique()}` });
    expect(agent.type).toBe('agent');
    expect(proxy.seen).toHaveLength(2);
  });

  it('runs a turn on the demo model: sessions.run resolves at its session.status_idle with its events', async () => {
    const session = await newSession();
    const seen: StreamEvent[] = [];
    const first = await stratus.sessions.run(session.id, 'Please run `echo sdk-$((6*7))`', { onEvent: (e) => seen.push(e) });
    expect(first.stop_reason.type).toBe('end_turn');
    const types = first.events.map((e) => e.type);
    expect(types[0]).toBe('user.message');
    expect(types.at(-1)).toBe('session.status_idle');
    expect(types).toEqual(expect.arrayContaining(['session.status_running', 'agent.tool_use', 'agent.tool_result', 'agent.message', 'span.model_request_end']));
    expect(first.text).toContain('sdk-42');
    expect(seen.map((e) => e.type)).toEqual(types);

    // The second turn resolves with its own events only, none of the first's.
    const second = await stratus.sessions.run(session.id, 'hello');
    expect(second.stop_reason.type).toBe('end_turn');
    expect(second.text).toContain('You said: "hello"');
    const firstIds = new Set(first.events.map((e) => e.id));
    expect(second.events.some((e) => firstIds.has(e.id))).toBe(false);
    const log = await stratus.sessions.events.list(session.id, { limit: 100 }).toArray();
    expect(log.map((e) => e.id)).toEqual([...first.events, ...second.events].map((e) => e.id));
  });

  it('resumes a stream the network cut with Last-Event-ID: every event once and in order', async () => {
    const session = await newSession();
    await stratus.sessions.run(session.id, 'Please run `echo resumed`');
    const log: SessionEvent[] = await stratus.sessions.events.list(session.id, { limit: 100 }).toArray();
    // The first connection is cut in the middle of the history, the next ones go through.
    proxy.plan((req, i) => (i === 0 && req.url.includes('/events/stream') ? { kind: 'cut', afterBytes: 900 } : { kind: 'forward' }));
    const reconnects: ReconnectInfo[] = [];
    const received: string[] = [];
    const stream = viaProxy.sessions.events.stream(session.id, { backoff: { initialMs: 10, maxMs: 40 }, onReconnect: (info) => reconnects.push(info) });
    for await (const event of stream) {
      received.push((event as SessionEvent).id);
      if (received.length === log.length) break;
    }
    expect(received).toEqual(log.map((e) => e.id));
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
    const resumedFrom = proxy.seen[1]!.headers['last-event-id'];
    expect(resumedFrom).toBe(reconnects[0]!.lastEventId);
    expect(log.map((e) => e.id)).toContain(resumedFrom);
  });

  it('cancels a running turn: the session goes canceling, then idle', async () => {
    const session = await newSession();
    const stream = stratus.sessions.events.stream(session.id);
    const iterator = stream[Symbol.asyncIterator]();
    await stratus.sessions.events.send(session.id, { events: [{ type: 'user.message', content: 'run sleep 120' }] });
    for (let next = await iterator.next(); !next.done && next.value.type !== 'agent.tool_use'; next = await iterator.next());
    expect(await stratus.sessions.cancel(session.id)).toEqual({ id: session.id, type: 'session', status: 'canceling' });
    let idle: StreamEvent | undefined;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      if (next.value.type === 'session.status_idle') {
        idle = next.value;
        break;
      }
    }
    await iterator.return(undefined);
    expect(idle).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect((await stratus.sessions.retrieve(session.id)).status).toBe('idle');
  });
});

describe("the README's SDK example", () => {
  it('runs as written (an ES module importing @stratus/sdk) against the server', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## SDK')))![1]!.replaceAll('http://localhost:8080', app.baseUrl);
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', example], { cwd: path.join(__dirname, '..'), encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^end_turn \{ input_tokens: \d+, output_tokens: \d+ \} The tool returned:/);
    expect(result.stdout).toContain('Linux');
    expect(result.stdout).toMatch(/sess_[0-9a-f]{32} idle/);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('session.status_idle');
  });
});
