// pnpm bench:faults — the platform under faults and abuse, on the built apps started as child processes:
//  (a) takeover: a worker is SIGKILLed while a turn is held mid model call, another is started; the time
//      from the kill until the session is idle again (p50/p99 over --kills kills);
//  (b) a PostgreSQL outage (cut through a TCP proxy, --outage-seconds) and a Redis restart (a redis-server
//      of the benchmark's own) under --sessions concurrent turns: acknowledged user.message events that
//      never got an answer, sessions left `processing`, 5xx answers, whether the process survived;
//  (c) a flood of bad tokens: valid requests' p99 alone and beside the flood (autocannon).
// Targets: takeover <= 10 s; 0 acknowledged messages lost and 0 sessions left processing.
// Options: --kills N (20), --outage-seconds S (30), --redis-down-seconds S (2), --sessions N (50),
// --flood-seconds S (10), --settle-seconds S (120), --only takeover,outage,flood, --quick (3 kills,
// a 5 s outage, 3 s floods: checks the script end to end, not the figures).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { autocannonRun, databaseUrl, dropDatabase, machine, ROOT, writeReport } from './lib.mjs';

const require = createRequire(import.meta.url);
const { startScriptedModel, startTcpProxy } = require(path.join(ROOT, 'packages/testing/dist/index.js'));

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string' },
    'outage-seconds': { type: 'string' },
    'redis-down-seconds': { type: 'string' },
    sessions: { type: 'string' },
    'flood-seconds': { type: 'string' },
    'settle-seconds': { type: 'string' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const number = (name, normal, quick) => {
  const value = Number(args[name] ?? (args.quick ? quick : normal));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  return value;
};
const KILLS = number('kills', 20, 3);
const OUTAGE_SECONDS = number('outage-seconds', 30, 5);
const REDIS_DOWN_SECONDS = number('redis-down-seconds', 2, 1);
const SESSIONS = number('sessions', 50, 50);
const FLOOD_SECONDS = number('flood-seconds', 10, 3);
const SETTLE_SECONDS = number('settle-seconds', 120, 90);
const PARTS = new Set((args.only ?? 'takeover,outage,flood').split(','));
/** How long a scripted model answer takes, so turns are in flight when a fault strikes. */
const REPLY_DELAY_MS = 1000;
const MODEL = 'faults-model';
const LOG_DIR = path.join(ROOT, 'bench', 'reports', 'faults-logs');

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0 };
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (v) => Math.round(v);
  return { n: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1)) };
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of the benchmark's own (never the shared one): it is killed and restarted. */
async function startOwnRedis() {
  const port = await freePort();
  let child;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const server = child;
    await new Promise((resolve, reject) => {
      readline.createInterface({ input: server.stdout }).on('line', (line) => line.includes('Ready to accept connections') && resolve());
      server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
  };
  const kill = async () => {
    const server = child;
    if (server.exitCode !== null || server.signalCode !== null) return;
    const gone = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await gone;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, kill };
}

/** Starts a built app (`apps/<name>/dist/main.js`) on a free port; resolves once /readyz answers. Its logs go to a file. */
async function startApp(app, env, label = app) {
  const port = await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(path.join(LOG_DIR, `${label}.log`), 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'apps', app, 'dist', 'main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${label} exited with ${child.exitCode ?? child.signalCode}; see ${LOG_DIR}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`${label} did not become ready`);
    await sleep(100);
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    url,
    child,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A fresh database, Redis key prefix and bootstrap token: one deployment. */
function deployment(redisUrl, modelUrl) {
  const name = `stratus_faults_${randomBytes(4).toString('hex')}`;
  const token = `pt-faults-${randomBytes(16).toString('hex')}`;
  return {
    name,
    token,
    env: {
      DATABASE_URL: databaseUrl(name),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `stratus-faults-${name}:`,
      STRATUS_BOOTSTRAP_TOKEN: token,
      RATE_LIMIT_REQUESTS: '0',
      STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'scripted', base_url: modelUrl, models: [MODEL] }]),
    },
  };
}

/** A JSON request; never throws: a refused connection is { status: 0 }. */
async function request(url, token, method, route, body) {
  try {
    const response = await fetch(`${url}/api/v1/cloud${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: response.status, body: json };
  } catch (error) {
    return { status: 0, error: error.message };
  }
}

async function created(url, token, route, body) {
  const reply = await request(url, token, 'POST', route, body);
  if (reply.status !== 201) throw new Error(`POST ${route}: ${reply.status} ${JSON.stringify(reply.body ?? reply.error)}`);
  return reply.body.id;
}

/** An agent without tools (no sandboxes: the faults are the subject), an environment and `count` sessions. */
async function sessions(url, token, count) {
  const agent = await created(url, token, '/agents', { name: 'faults', model: MODEL });
  const environment = await created(url, token, '/environments', { name: `faults-${randomBytes(3).toString('hex')}` });
  const ids = [];
  for (let i = 0; i < count; i++) ids.push(await created(url, token, '/sessions', { agent, environment_id: environment }));
  return ids;
}

async function withDatabase(name, work) {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The scripted model: a message naming `hold-<id>` hangs the first time (a turn held mid-step), everything else answers after a delay. */
async function startModel() {
  const held = new Set();
  return startScriptedModel({
    models: [MODEL],
    respond: ({ body }) => {
      const hold = /hold-([a-z0-9]+)/.exec(JSON.stringify(body.messages.at(-1)?.content ?? ''))?.[1];
      if (hold !== undefined && !held.has(hold)) {
        held.add(hold);
        return { kind: 'hang' };
      }
      return { kind: 'text', text: 'answered', delayMs: REPLY_DELAY_MS, usage: { prompt_tokens: 10, completion_tokens: 1 } };
    },
  });
}

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// --- (a) takeover after SIGKILL ------------------------------------------------------------------

async function takeover(redis, model) {
  const d = deployment(redis.url, model.baseURL);
  const api = await startApp('api', d.env, 'takeover-api');
  const workerEnv = { ...d.env, MIGRATE_ON_START: 'false', STRATUS_WORKER_QUEUES: 'session-turns' };
  let worker = await startApp('worker', workerEnv, 'takeover-worker');
  const times = [];
  try {
    const ids = await sessions(api.url, d.token, KILLS);
    for (const [i, sessionId] of ids.entries()) {
      const hold = randomBytes(6).toString('hex');
      const sent = await request(api.url, d.token, 'POST', `/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: `hold-${hold}` }] }] });
      if (sent.status !== 202) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.body)}`);
      await until(async () => model.requests.some((r) => JSON.stringify(r.body.messages.at(-1)?.content ?? '').includes(`hold-${hold}`)), 60_000, 'the turn to reach the model');
      const killedAt = performance.now();
      await worker.kill('SIGKILL');
      worker = await startApp('worker', workerEnv, 'takeover-worker');
      await withDatabase(d.name, (db) =>
        until(async () => (await db.query('SELECT status FROM sessions WHERE id = $1', [sessionId])).rows[0]?.status === 'idle', 600_000, `session ${sessionId} to be idle after the kill`),
      );
      const ms = performance.now() - killedAt;
      times.push(ms);
      console.log(`  kill ${String(i + 1).padStart(2)}/${KILLS}: idle again ${(ms / 1000).toFixed(1)} s after SIGKILL`);
    }
  } finally {
    await worker.kill();
    await api.kill();
    await dropDatabase(d.name);
  }
  const result = stats(times);
  console.log(`takeover after SIGKILL                       p50 ${result.p50} ms   p99 ${result.p99} ms   max ${result.max} ms (n=${result.n})`);
  return { kills: KILLS, takeover_ms: result, target_met: result.p99 !== undefined && result.p99 <= 10_000 };
}

// --- (b) PostgreSQL outage and Redis restart under concurrent turns ---------------------------------

/**
 * Each session in a loop: send a user.message, wait until the session is idle, again, until `stop()`.
 * Counts acknowledged messages (their event ids), 5xx answers and refused connections.
 */
function drive(server, token, ids, stop) {
  const acked = [];
  const counts = { sent: 0, acknowledged: 0, status_5xx: 0, status_other_4xx: 0, connection_errors: 0 };
  const tally = (reply) => {
    if (reply.status === 0) counts.connection_errors++;
    else if (reply.status >= 500) counts.status_5xx++;
    else if (reply.status >= 400) counts.status_other_4xx++;
  };
  const done = Promise.all(
    ids.map(async (sessionId) => {
      while (!stop()) {
        counts.sent++;
        const reply = await request(server.url, token, 'POST', `/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hello' }] }] });
        tally(reply);
        if (reply.status !== 202) {
          await sleep(500);
          continue;
        }
        counts.acknowledged++;
        acked.push(...reply.body.data.filter((event) => event.type === 'user.message').map((event) => event.id));
        while (!stop()) {
          await sleep(300);
          const session = await request(server.url, token, 'GET', `/sessions/${sessionId}`);
          tally(session);
          if (session.status === 200 && session.body.status === 'idle') break;
        }
      }
    }),
  );
  return { acked, counts, done };
}

/** After the fault and a settling period: what became of every acknowledged message, and of the sessions. */
async function account(name, ids, acked) {
  return withDatabase(name, async (db) => {
    const deadline = Date.now() + SETTLE_SECONDS * 1000;
    let processing;
    for (;;) {
      processing = Number((await db.query(`SELECT count(*) FROM sessions WHERE id = ANY($1) AND status <> 'idle'`, [ids])).rows[0].count);
      if (processing === 0 || Date.now() > deadline) break;
      await sleep(500);
    }
    const { rows } = await db.query(
      `SELECT m.id,
              EXISTS (SELECT 1 FROM events a WHERE a.session_id = m.session_id AND a.turn_id = m.turn_id AND a.type = 'agent.message') AS answered,
              EXISTS (SELECT 1 FROM events e WHERE e.session_id = m.session_id AND e.turn_id = m.turn_id AND e.type = 'session.error') AS errored
         FROM events m WHERE m.id = ANY($1)`,
      [acked],
    );
    const answered = rows.filter((r) => r.answered).length;
    const endedWithError = rows.filter((r) => !r.answered && r.errored).length;
    return {
      acknowledged_messages: acked.length,
      answered,
      ended_with_session_error: endedWithError,
      lost: acked.length - answered - endedWithError,
      not_stored: acked.length - rows.length,
      sessions_left_processing: processing,
    };
  });
}

async function underFault(label, redis, model, fault, proxy) {
  const d = deployment(redis.url, model.baseURL);
  const env = proxy === undefined ? d.env : { ...d.env, DATABASE_URL: Object.assign(new URL(d.env.DATABASE_URL), { host: `127.0.0.1:${proxy.port}` }).toString() };
  const server = await startApp('all-in-one', env, `${label}-all-in-one`);
  try {
    const ids = await sessions(server.url, d.token, SESSIONS);
    let stopped = false;
    const load = drive(server, d.token, ids, () => stopped);
    await sleep(5_000);
    const faultStarted = performance.now();
    await fault();
    const faultMs = performance.now() - faultStarted;
    await sleep(10_000);
    stopped = true;
    await load.done;
    const outcome = await account(d.name, ids, load.acked);
    const result = { fault_ms: Math.round(faultMs), sessions: SESSIONS, requests: load.counts, ...outcome, process_survived: server.alive };
    console.log(
      `${label.padEnd(24)} acknowledged ${outcome.acknowledged_messages}, answered ${outcome.answered}, session.error ${outcome.ended_with_session_error}, lost ${outcome.lost}, ` +
        `left processing ${outcome.sessions_left_processing}, 5xx ${load.counts.status_5xx}, refused ${load.counts.connection_errors}, process ${server.alive ? 'alive' : 'DIED'}`,
    );
    return result;
  } finally {
    await server.kill();
    await dropDatabase(d.name);
  }
}

async function outages(redis, model) {
  const proxy = await startTcpProxy(Number(new URL(databaseUrl('x')).port || 5432), new URL(databaseUrl('x')).hostname);
  try {
    const postgres = await underFault(`postgres outage ${OUTAGE_SECONDS} s`, redis, model, async () => {
      await proxy.cut();
      await sleep(OUTAGE_SECONDS * 1000);
      await proxy.restore();
    }, proxy);
    const redisRestart = await underFault('redis restart', redis, model, async () => {
      await redis.kill();
      await sleep(REDIS_DOWN_SECONDS * 1000);
      await redis.start();
    });
    const ok = (r) => r.lost === 0 && r.sessions_left_processing === 0 && r.process_survived;
    return { postgres_outage: postgres, redis_restart: { down_seconds: REDIS_DOWN_SECONDS, ...redisRestart }, targets_met: { postgres_outage: ok(postgres), redis_restart: ok(redisRestart) } };
  } finally {
    await proxy.close();
  }
}

// --- (c) bad-token flood ---------------------------------------------------------------------------

async function flood(redis, model) {
  const d = deployment(redis.url, model.baseURL);
  const server = await startApp('all-in-one', d.env, 'flood-all-in-one');
  try {
    const [sessionId] = await sessions(server.url, d.token, 1);
    const valid = () =>
      autocannonRun({ url: `${server.url}/api/v1/cloud/sessions/${sessionId}`, connections: 8, duration: FLOOD_SECONDS, headers: { authorization: `Bearer ${d.token}` } });
    const summary = (r) => ({ requests_per_second: Math.round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, non_2xx: r.non2xx, errors: r.errors });
    await valid();
    const alone = summary(await valid());
    const [beside, bad] = await Promise.all([
      valid(),
      autocannonRun({
        url: `${server.url}/api/v1/cloud/sessions`,
        connections: 64,
        duration: FLOOD_SECONDS,
        // [<id>] is replaced per request: every request carries a token never seen before.
        idReplacement: true,
        headers: { authorization: 'Bearer pt-bad-[<id>]' },
      }),
    ]);
    const result = {
      valid_alone: alone,
      valid_beside_flood: summary(beside),
      flood: { requests_per_second: Math.round(bad.requests.average), status_codes: Object.fromEntries(Object.entries(bad.statusCodeStats ?? {}).map(([code, s]) => [code, s.count])), errors: bad.errors },
      process_survived: server.alive,
    };
    console.log(`valid requests alone                         p99 ${alone.p99_ms} ms   ${alone.requests_per_second} req/s`);
    console.log(`valid requests beside a bad-token flood      p99 ${result.valid_beside_flood.p99_ms} ms   ${result.valid_beside_flood.requests_per_second} req/s   non-2xx ${result.valid_beside_flood.non_2xx}`);
    console.log(`bad-token flood                              ${result.flood.requests_per_second} req/s   ${JSON.stringify(result.flood.status_codes)}`);
    return result;
  } finally {
    await server.kill();
    await dropDatabase(d.name);
  }
}

// ---------------------------------------------------------------------------------------------------

console.log(`machine: ${JSON.stringify(machine())}`);
console.log(`kills ${KILLS}, PostgreSQL outage ${OUTAGE_SECONDS} s, Redis down ${REDIS_DOWN_SECONDS} s, ${SESSIONS} sessions, floods of ${FLOOD_SECONDS} s; app logs in ${LOG_DIR}\n`);
const redis = await startOwnRedis();
const model = await startModel();
const report = { options: { kills: KILLS, outage_seconds: OUTAGE_SECONDS, redis_down_seconds: REDIS_DOWN_SECONDS, sessions: SESSIONS, flood_seconds: FLOOD_SECONDS, settle_seconds: SETTLE_SECONDS } };
try {
  if (PARTS.has('takeover')) report.takeover = await takeover(redis, model);
  if (PARTS.has('outage')) report.outages = await outages(redis, model);
  if (PARTS.has('flood')) report.flood = await flood(redis, model);
} finally {
  await model.close();
  await redis.kill();
}
console.log(`\nreport: ${writeReport('faults', report)}`);
