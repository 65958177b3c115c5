import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, SANDBOX_RUNNER_ENTRY, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { catalogueMetricOf, loadCatalogue, queriedSeries } from './queries';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TOKEN = 'pt-grafana-scrape-test-token-0123456789';

/**
 * Counters that only move when something fails (a sandbox that does not start, a tool that fails,
 * Redis unreachable): a healthy turn cannot make them appear, since a counter never incremented
 * exports no series. Each is still queried and in the catalogue (asserted below).
 */
const ONLY_AFTER_FAILURES = ['stratus_sandbox_provision_failures_total', 'stratus_tool_errors_total', 'stratus_auth_limiter_fallback_total'];

const randomPort = () => 20000 + Math.floor(Math.random() * 25000);

describe('the metrics the dashboard and the alert rules query, scraped from a running all-in-one after a turn', () => {
  let db: TestDatabase;
  let server: ChildProcess;
  const port = randomPort();
  const metricsPort = port + 1;
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = `${baseUrl}/api/v1/cloud`;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    db = await createTestDatabase('stratus_grafana');
    server = spawn(process.execPath, [path.join(ROOT, 'apps', 'all-in-one', 'dist', 'main.js')], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        STRATUS_METRICS_PORT: String(metricsPort),
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: testRedisPrefix(),
        STRATUS_BOOTSTRAP_TOKEN: TOKEN,
        STRATUS_SANDBOX_RUNNER_ENTRY: SANDBOX_RUNNER_ENTRY,
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error('the all-in-one exited before it became ready');
      if (Date.now() > deadline) throw new Error('the all-in-one did not become ready within 60 s');
      if (await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  afterAll(async () => {
    if (server?.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    await db?.drop();
  });

  const post = async (route: string, body: unknown) => {
    const response = await fetch(`${api}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };

  it('exports every one of them', async () => {
    const agent = await post('/agents', { name: 'scraped', model: 'stratus-demo', system: 'Be brief.', tools: [{ type: 'agent_toolset_20260401' }] });
    const environment = await post('/environments', { name: 'scraped', config: { type: 'cloud', networking: { type: 'none' } } });
    const session = await post('/sessions', { agent: agent.id, environment_id: environment.id });

    // The stream is open before the turn, so the gateway delivers the turn's events live (the lag metric).
    const stream = await fetch(`${api}/sessions/${session.id}/events/stream`, { headers: { authorization: headers.authorization } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await post(`/sessions/${session.id}/events`, { events: [{ type: 'user.message', content: 'Please run `echo scraped`' }] });
    let received = '';
    while (!received.includes('"type":"session.status_idle"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before the turn did: ${received}`);
      received += Buffer.from(value).toString('utf8');
    }
    expect(received).toContain('"type":"agent.tool_result"');

    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch((error: Error) => {
      throw new Error(`nothing serves /metrics on STRATUS_METRICS_PORT=${metricsPort}: ${error.message}`);
    });
    expect(scrape.status).toBe(200);
    const exposition = await scrape.text();
    await reader.cancel();

    const exported = new Set(exposition.split('\n').flatMap((line) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1] ?? []));
    const required = queriedSeries().filter((series) => !ONLY_AFTER_FAILURES.includes(catalogueMetricOf(series, loadCatalogue())!.name));
    expect(required.filter((series) => !exported.has(series))).toEqual([]);
    const started = /^stratus_turns_started_total(?:\{[^}]*\})? (\S+)$/m.exec(exposition)?.[1];
    expect(Number(started)).toBeGreaterThanOrEqual(1);
  });

  it('leaves out only failure counters, each one queried and in the catalogue', () => {
    const queried = new Set(queriedSeries());
    for (const name of ONLY_AFTER_FAILURES) {
      expect({ name, queried: queried.has(name), type: catalogueMetricOf(name, loadCatalogue())?.type }).toEqual({ name, queried: true, type: 'counter' });
    }
  });
});
