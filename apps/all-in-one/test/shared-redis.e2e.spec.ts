import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createTestDatabase, eventually, removeSandboxBase, sql, startOwnRedis, type OwnRedis, type TestDatabase } from '@stratus/testing';
import { Redis } from 'ioredis';

// Two deployments (built all-in-one processes, each with its own database and REDIS_KEY_PREFIX) on
// one Redis of this test's own, so that every key and channel in it can be accounted for. The second
// deployment holds a session with the same id as the first's, as a copy restored from the other's
// backup would: only the prefix keeps their live events apart.

const TOKEN = `pt-${randomBytes(16).toString('hex')}`;

interface Deployment {
  name: string;
  prefix: string;
  db: TestDatabase;
  sandboxDir: string;
  child: ChildProcess;
  exited: Promise<unknown>;
  api: string;
}

let redis: OwnRedis;
let inspector: Redis;
const deployments: Deployment[] = [];
const streams: AbortController[] = [];

async function startDeployment(name: string): Promise<Deployment> {
  const db = await createTestDatabase(`stratus_shared_${name}`);
  const prefix = `stratus-${name}-${randomBytes(4).toString('hex')}:`;
  const sandboxDir = await mkdtemp(path.join(tmpdir(), `shared-${name}-`));
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'main.js')], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      STRATUS_BOOTSTRAP_TOKEN: TOKEN,
      STRATUS_SANDBOX_DIR: sandboxDir,
      RATE_LIMIT_REQUESTS: '0',
      // The listening line is how the test learns the port.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deployment ${name} did not start: ${stderr}`)), 60_000);
    // Reading every line also keeps the pipe drained, so the child never blocks on logging.
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`deployment ${name} exited before listening: ${stderr}`)));
  });
  const deployment = { name, prefix, db, sandboxDir, child, exited, api: `${url}/api/v1/cloud` };
  deployments.push(deployment);
  return deployment;
}

async function call<T = any>(deployment: Deployment, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${deployment.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${route} on ${deployment.name}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

async function createSession(deployment: Deployment): Promise<string> {
  const agent = await call(deployment, 'POST', '/agents', { name: 'helper', model: 'stratus-demo', system: 'You help.' });
  const environment = await call(deployment, 'POST', '/environments', { name: 'sandbox', config: { type: 'cloud', networking: { type: 'none' } } });
  return (await call(deployment, 'POST', '/sessions', { agent: agent.id, environment_id: environment.id })).id;
}

/** A live stream of the session: the ids and types of the events received, in order. */
async function follow(deployment: Deployment, sessionId: string): Promise<{ ids: string[]; types: string[] }> {
  const controller = new AbortController();
  streams.push(controller);
  const response = await fetch(`${deployment.api}/sessions/${sessionId}/events/stream`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
  expect(response.status).toBe(200);
  const seen = { ids: [] as string[], types: [] as string[] };
  void (async () => {
    let buffer = '';
    const text = new TextDecoder();
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffer += text.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (.+)$/m.exec(frame)?.[1];
          const type = /^event: (.+)$/m.exec(frame)?.[1];
          if (id && type) {
            seen.ids.push(id);
            seen.types.push(type);
          }
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  return seen;
}

/** Every event id of the session as the deployment stored it, in order. */
async function storedIds(deployment: Deployment, sessionId: string): Promise<string[]> {
  const page = await call<{ data: { id: string }[] }>(deployment, 'GET', `/sessions/${sessionId}/events?limit=100`);
  return page.data.map((event) => event.id);
}

async function allKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of inspector.scanStream({ count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
  return keys;
}

beforeAll(async () => {
  redis = await startOwnRedis();
  inspector = new Redis(redis.url);
  await Promise.all([startDeployment('a'), startDeployment('b')]);
}, 120_000);

afterAll(async () => {
  for (const controller of streams) controller.abort();
  for (const deployment of deployments) deployment.child.kill('SIGKILL');
  await Promise.all(deployments.map((deployment) => deployment.exited));
  inspector?.disconnect();
  await redis?.kill();
  await Promise.all(deployments.map(async (deployment) => Promise.all([deployment.db.drop(), removeSandboxBase(deployment.sandboxDir)])));
});

describe('two deployments on one Redis', () => {
  it("never cross-talk: each stream shows only its own deployment's turn, and every key and channel carries its deployment's prefix", async () => {
    const [a, b] = deployments as [Deployment, Deployment];
    const sessionId = await createSession(a);
    // B's own session, given A's id.
    await sql(b.db.url, 'UPDATE sessions SET id = $1 WHERE id = $2', [sessionId, await createSession(b)]);
    const onA = await follow(a, sessionId);
    const onB = await follow(b, sessionId);

    await call(a, 'POST', `/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content: 'hello from A' }] });
    await eventually(async () => onA.types.includes('session.status_idle'), 30_000, "A's turn on A's stream");

    await call(b, 'POST', `/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content: 'hello from B' }] });
    await eventually(async () => onB.types.includes('session.status_idle'), 30_000, "B's turn on B's stream");
    // Redis delivers in publish order: had A's events reached B's stream, they would be there by now.
    const [storedA, storedB] = [await storedIds(a, sessionId), await storedIds(b, sessionId)];
    await eventually(async () => onA.ids.length >= storedA.length && onB.ids.length >= storedB.length, 30_000, 'every stored event on the streams');
    expect(onA.ids).toEqual(storedA);
    expect(onB.ids).toEqual(storedB);
    expect(storedA.filter((id) => storedB.includes(id))).toEqual([]);

    // While both streams are open, every channel in use belongs to one of the deployments.
    const channels = (await inspector.pubsub('CHANNELS', '*')) as string[];
    expect(channels.filter((channel) => channel.includes(sessionId)).sort()).toEqual([`${a.prefix}session:${sessionId}`, `${b.prefix}session:${sessionId}`].sort());
    expect(channels.filter((channel) => !channel.startsWith(a.prefix) && !channel.startsWith(b.prefix))).toEqual([]);

    // Each deployment's queue ran its own turn, and no key of Redis lies outside the two prefixes.
    const keys = await allKeys();
    expect(keys.filter((key) => !key.startsWith(a.prefix) && !key.startsWith(b.prefix))).toEqual([]);
    for (const deployment of [a, b]) expect(keys.some((key) => key.startsWith(`${deployment.prefix}session-turns:`))).toBe(true);
  });
});
