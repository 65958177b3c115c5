// pnpm bench:stream — the SSE gateway under load, as one gateway process (apps/gateway/dist):
//   1. capacity: BENCH_CAPACITY_STREAMS concurrent streams (one session each); gateway RSS per open
//      stream, and one live event to every stream (none may be lost);
//   2. fan-out: BENCH_STREAMS streams over BENCH_SESSIONS sessions while BENCH_WRITERS writer processes
//      append BENCH_RATE events/s through the EventStore (BENCH_BATCH per transaction) for
//      BENCH_DURATION_SECONDS; publish→receive latency p50/p99/max, events delivered per second, lost
//      and duplicated events (must be 0), and the raw Redis PUBLISH→SUBSCRIBE latency of the very same
//      messages, measured in the same run by a plain subscriber (the floor), with the ratio.
// Targets on a 2-core machine: 5,000 streams under 1 GiB RSS; 2,000 events/s fanned out to 1,000
// streams with p99 <= 50 ms and p50 <= 3x raw Redis.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { databaseUrl, dropDatabase, machine, percentile, ROOT, writeReport } from './lib.mjs';

const CAPACITY_STREAMS = Number(process.env.BENCH_CAPACITY_STREAMS ?? 5000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 15);
/** Events per EventStore transaction: one Prisma interactive transaction costs about 2.5 ms of CPU here, so single-event appends cannot reach the rate on 2 cores. */
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const WRITER_CONCURRENCY = Number(process.env.BENCH_WRITER_CONCURRENCY ?? 24);
const WRITER_NICE = Number(process.env.BENCH_WRITER_NICE ?? 10);
/** Writer processes sharing the rate, as several workers would (one Prisma process tops out near 2,000 events/s here). */
const WRITERS = Number(process.env.BENCH_WRITERS ?? 2);
/** Latencies of the first seconds (JIT, pools warming up) are left out. */
const WARMUP_SECONDS = 2;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const require = createRequire(path.join(ROOT, 'apps/gateway/package.json'));
const { newId } = require('@stratus/db');
const { sessionChannel } = require('@stratus/events');
const { Redis } = require('ioredis');

const now = () => Number(process.hrtime.bigint());
const ms = (ns) => Math.round(ns / 1e4) / 100;
const sleep = (millis) => new Promise((resolve) => setTimeout(resolve, millis));

async function waitUntil(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

function rssBytes(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** User + system CPU seconds the process has used. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The gateway's key prefix, which the writers publish under too. */
const redisKeyPrefix = (db) => `stratus-bench-${db}:`;

async function startGateway(db, token) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [path.join(ROOT, 'apps/gateway/dist/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl(db),
      DATABASE_POOL_SIZE: '20',
      REDIS_URL,
      REDIS_KEY_PREFIX: redisKeyPrefix(db),
      // Thousands of streams with one token, on one gateway: the stream caps are not what is measured.
      GATEWAY_MAX_STREAMS_PER_TOKEN: String(CAPACITY_STREAMS + STREAMS + 1000),
      GATEWAY_MAX_STREAMS: String(CAPACITY_STREAMS + STREAMS + 1000),
      STRATUS_BOOTSTRAP_TOKEN: token,
      // Thousands of streams connect with one token within seconds: no rate limit in this run.
      RATE_LIMIT_REQUESTS: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  for (const deadline = Date.now() + 60_000; !ready && Date.now() < deadline && child.exitCode === null; await sleep(200)) {
    try {
      ready = (await fetch(`${url}/readyz`)).ok;
    } catch {
      // not listening yet
    }
  }
  if (!ready) throw new Error('the gateway did not become ready');
  return { port, pid: child.pid, child };
}

/** Agents, an environment and sessions of the default workspace, written directly. */
async function createSessions(client, count) {
  const workspace = 'wksp_00000000000000000000000000000000';
  const agent = newId('agent');
  const environment = newId('environment');
  await client.query(`INSERT INTO agents (id, workspace_id, current_version, updated_at) VALUES ($1, $2, 1, now())`, [agent, workspace]);
  await client.query(
    `INSERT INTO agent_versions (agent_id, version, name, description, model, system, tools, mcp_servers, metadata) VALUES ($1, 1, 'bench', '', 'stratus-demo', '', '[]', '[]', '{}')`,
    [agent],
  );
  await client.query(`INSERT INTO environments (id, workspace_id, name, description, config, metadata, updated_at) VALUES ($1, $2, $1, '', '{"type":"cloud"}', '{}', now())`, [environment, workspace]);
  const ids = Array.from({ length: count }, () => newId('session'));
  for (let at = 0; at < ids.length; at += 1000) {
    const slice = ids.slice(at, at + 1000);
    await client.query(
      `INSERT INTO sessions (id, workspace_id, agent_id, agent_version, environment_id, title, metadata, updated_at)
       SELECT unnest($1::text[]), $2, $3, 1, $4, '', '{}', now()`,
      [slice, workspace, agent, environment],
    );
  }
  return ids;
}

/** One SSE client: records the id of every complete frame and when its chunk arrived. */
function openStream(port, sessionId, token) {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: `/api/v1/cloud/sessions/${sessionId}/events/stream`, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return reject(new Error(`stream answered ${response.statusCode}`));
        }
        response.setEncoding('latin1');
        const stream = { sessionId, ids: [], times: [], ended: false, close: () => request.destroy() };
        let pending = '';
        response.on('data', (chunk) => {
          const at = now();
          pending += chunk;
          const end = pending.lastIndexOf('\n\n');
          if (end < 0) return;
          // Frames are complete up to `end`; a stored event's frame starts with its id line.
          for (let frame = 0; frame > -1 && frame <= end; ) {
            const lineEnd = pending.indexOf('\n', frame);
            if (pending.startsWith('id: ', frame)) {
              stream.ids.push(pending.slice(frame + 4, lineEnd));
              stream.times.push(at);
            }
            const next = pending.indexOf('\n\n', lineEnd);
            frame = next < 0 ? -1 : next + 2;
          }
          pending = pending.slice(end + 2);
        });
        response.on('close', () => (stream.ended = true));
        resolve(stream);
      },
    );
    request.on('error', reject);
  });
}

async function openMany(port, sessions, token, count) {
  const streams = new Array(count);
  let next = 0;
  const opener = async () => {
    for (let i = next++; i < count; i = next++) streams[i] = await openStream(port, sessions[i % sessions.length], token);
  };
  await Promise.all(Array.from({ length: 64 }, opener));
  return streams;
}

function runWriter(command) {
  const child = fork(path.join(ROOT, 'bench/stream-appender.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // The writers stand in for a worker fleet on other machines; their (Prisma) CPU must not starve the gateway here.
  os.setPriority(child.pid, WRITER_NICE);
  return new Promise((resolve, reject) => {
    child.once('message', (result) => (result.ok ? resolve(result) : reject(new Error(result.error))));
    child.once('exit', (code) => code !== 0 && reject(new Error(`writer exited with ${code}`)));
    child.send(command);
  });
}

/** Several writer processes over disjoint sessions, sharing the rate (and the total, if any). */
async function runWriters(command, count = WRITERS) {
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      runWriter({
        ...command,
        sessions: command.sessions.filter((_, at) => at % count === i),
        rate: command.rate / count,
        total: command.total === undefined ? undefined : Math.ceil(command.total / count),
      }),
    ),
  );
  return {
    published: results.flatMap((r) => r.published),
    elapsed: Math.max(...results.map((r) => r.elapsed)),
    failed: results.reduce((n, r) => n + r.failed, 0),
    cpuSeconds: results.reduce((n, r) => n + r.cpuSeconds, 0),
  };
}

/** Per-stream comparison with the event table: what is missing, repeated or out of order. */
async function audit(client, streams) {
  const bySession = new Map();
  for (const sessionId of new Set(streams.map((s) => s.sessionId))) bySession.set(sessionId, []);
  const rows = await client.query('SELECT session_id, id FROM events WHERE session_id = ANY($1) ORDER BY session_id, seq', [[...bySession.keys()]]);
  for (const row of rows.rows) bySession.get(row.session_id).push(row.id);
  let lost = 0;
  let duplicated = 0;
  let misordered = 0;
  for (const stream of streams) {
    const expected = bySession.get(stream.sessionId);
    const seen = new Set(stream.ids);
    duplicated += stream.ids.length - seen.size;
    lost += expected.filter((id) => !seen.has(id)).length;
    if (stream.ids.join() !== expected.join() && seen.size === expected.length) misordered += 1;
  }
  return { lost, duplicated, misordered, expectedDeliveries: streams.reduce((n, s) => n + bySession.get(s.sessionId).length, 0) };
}

const ratio = (a, b) => Math.round((a / b) * 100) / 100;
const mib = (bytes) => Math.round(bytes / 2 ** 20);

/** Phase 1: many open streams, the gateway's memory for them, and one live event to each. */
async function measureCapacity(gateway, client, database) {
  const sessions = await createSessions(client, CAPACITY_STREAMS);
  const rssBefore = rssBytes(gateway.pid);
  const openStarted = Date.now();
  const streams = await openMany(gateway.port, sessions, token, CAPACITY_STREAMS);
  const openSeconds = (Date.now() - openStarted) / 1000;
  await sleep(2000);
  const rssOpen = rssBytes(gateway.pid);
  await runWriters({ databaseUrl: database, redisUrl: REDIS_URL, redisKeyPrefix: redisKeyPrefix(db), sessions, rate: 2000, seconds: 60, total: CAPACITY_STREAMS, batch: 1, concurrency: WRITER_CONCURRENCY });
  await waitUntil(() => streams.every((s) => s.ids.length >= 1), 30_000);
  const rssLive = rssBytes(gateway.pid);
  const { lost, duplicated, misordered } = await audit(client, streams);
  for (const stream of streams) stream.close();
  await sleep(2000);
  const result = {
    streams: CAPACITY_STREAMS,
    open_seconds: openSeconds,
    gateway_rss_mib: { before: mib(rssBefore), open: mib(rssOpen), after_one_event_each: mib(rssLive) },
    rss_per_stream_kib: Math.round(((Math.max(rssOpen, rssLive) - rssBefore) / CAPACITY_STREAMS / 1024) * 10) / 10,
    lost,
    duplicated,
    misordered_streams: misordered,
  };
  console.log(
    `\ncapacity: ${CAPACITY_STREAMS} streams (one session each) open in ${openSeconds} s; gateway RSS ${result.gateway_rss_mib.before} → ${result.gateway_rss_mib.open} MiB ` +
      `(${result.rss_per_stream_kib} KiB per stream), ${result.gateway_rss_mib.after_one_event_each} MiB after one live event to each; lost ${lost}, duplicated ${duplicated}`,
  );
  return result;
}

/** Phase 2: fan-out under a steady append rate, with raw Redis pub/sub measured alongside. */
async function measureFanout(gateway, client, database) {
  const sessions = await createSessions(client, SESSIONS);
  const streams = await openMany(gateway.port, sessions, token, STREAMS);
  // The floor: the very same messages, received straight from Redis by a plain subscriber in this process.
  const subscriber = new Redis(REDIS_URL);
  const rawReceivedAt = new Map();
  subscriber.on('message', (_channel, message) => {
    const at = now();
    rawReceivedAt.set(JSON.parse(message).event.id, at);
  });
  await subscriber.subscribe(...sessions.map((id) => sessionChannel(redisKeyPrefix(db), id)));
  const cpuBefore = cpuSeconds(gateway.pid);
  const writer = await runWriters({ databaseUrl: database, redisUrl: REDIS_URL, redisKeyPrefix: redisKeyPrefix(db), sessions, rate: RATE, seconds: SECONDS, batch: BATCH, concurrency: WRITER_CONCURRENCY });
  const cpuUsed = cpuSeconds(gateway.pid) - cpuBefore;
  const publishedAt = new Map();
  for (let i = 0; i < writer.published.length; i += 2) publishedAt.set(writer.published[i], writer.published[i + 1]);
  const expected = new Map(sessions.map((id) => [id, 0]));
  for (const row of (await client.query('SELECT session_id, count(*)::int AS n FROM events WHERE session_id = ANY($1) GROUP BY session_id', [sessions])).rows) expected.set(row.session_id, row.n);
  await waitUntil(() => streams.every((s) => s.ids.length >= expected.get(s.sessionId)), 30_000);
  await sleep(500);
  await subscriber.quit();

  let firstPublish = Infinity;
  for (const at of publishedAt.values()) firstPublish = Math.min(firstPublish, at);
  const measureFrom = firstPublish + WARMUP_SECONDS * 1e9;
  const latencies = [];
  let delivered = 0;
  let lastReceive = 0;
  for (const stream of streams) {
    for (let i = 0; i < stream.ids.length; i++) {
      const sent = publishedAt.get(stream.ids[i]);
      if (sent === undefined) continue;
      delivered += 1;
      lastReceive = Math.max(lastReceive, stream.times[i]);
      if (sent >= measureFrom) latencies.push(stream.times[i] - sent);
    }
  }
  latencies.sort((a, b) => a - b);
  const redis = [];
  for (const [id, at] of rawReceivedAt) {
    const sent = publishedAt.get(id);
    if (sent !== undefined && sent >= measureFrom) redis.push(at - sent);
  }
  redis.sort((a, b) => a - b);
  const { lost, duplicated, misordered } = await audit(client, streams);
  for (const stream of streams) stream.close();
  const result = {
    streams: STREAMS,
    sessions: SESSIONS,
    seconds: SECONDS,
    events_per_transaction: BATCH,
    target_events_per_second: RATE,
    appended: publishedAt.size,
    appended_per_second: Math.round(publishedAt.size / writer.elapsed),
    writer_failures: writer.failed,
    delivered,
    delivered_per_second: Math.round(delivered / ((lastReceive - firstPublish) / 1e9)),
    latency_ms: { p50: ms(percentile(latencies, 50)), p90: ms(percentile(latencies, 90)), p99: ms(percentile(latencies, 99)), max: ms(latencies.at(-1)), samples: latencies.length },
    redis_pubsub_latency_ms: { p50: ms(percentile(redis, 50)), p99: ms(percentile(redis, 99)), max: ms(redis.at(-1)), samples: redis.length },
    p50_ratio_to_redis: ratio(percentile(latencies, 50), percentile(redis, 50)),
    gateway_cpu_percent: Math.round((cpuUsed / writer.elapsed) * 100),
    writer_cpu_percent: Math.round((writer.cpuSeconds / writer.elapsed) * 100),
    gateway_rss_mib: mib(rssBytes(gateway.pid)),
    lost,
    duplicated,
    misordered_streams: misordered,
  };
  console.log(
    `\nfan-out: ${STREAMS} streams on ${SESSIONS} sessions; ${result.appended_per_second} events/s appended (target ${RATE}, ${BATCH} per transaction) for ${SECONDS} s\n` +
      `  publish→receive  p50 ${result.latency_ms.p50} ms   p90 ${result.latency_ms.p90} ms   p99 ${result.latency_ms.p99} ms   max ${result.latency_ms.max} ms   (${latencies.length} samples)\n` +
      `  raw Redis        p50 ${result.redis_pubsub_latency_ms.p50} ms   p99 ${result.redis_pubsub_latency_ms.p99} ms   max ${result.redis_pubsub_latency_ms.max} ms   → p50 ratio ${result.p50_ratio_to_redis}x\n` +
      `  delivered ${delivered} events (${result.delivered_per_second}/s); lost ${lost}, duplicated ${duplicated}, misordered streams ${misordered}; ` +
      `CPU (of one core): gateway ${result.gateway_cpu_percent}%, writer ${result.writer_cpu_percent}%; gateway RSS ${result.gateway_rss_mib} MiB`,
  );
  return result;
}

const db = `stratus_bench_${randomBytes(4).toString('hex')}`;
const token = `pt-bench-${randomBytes(16).toString('hex')}`;
const gateway = await startGateway(db, token);
const client = new pg.Client({ connectionString: databaseUrl(db) });
await client.connect();
try {
  console.log(`machine: ${JSON.stringify(machine())}`);
  // Warm-up: JIT, pools and the auth cache, before anything is measured.
  const warmSessions = await createSessions(client, 50);
  const warm = await openMany(gateway.port, warmSessions, token, 200);
  await runWriters({ databaseUrl: databaseUrl(db), redisUrl: REDIS_URL, redisKeyPrefix: redisKeyPrefix(db), sessions: warmSessions, rate: 500, seconds: 2, batch: 1, concurrency: 8 });
  for (const stream of warm) stream.close();
  await sleep(1000);

  const capacity = CAPACITY_STREAMS > 0 ? await measureCapacity(gateway, client, databaseUrl(db)) : undefined;
  const fanout = STREAMS > 0 ? await measureFanout(gateway, client, databaseUrl(db)) : undefined;
  const targets = {
    ...(capacity ? { capacity_under_1_gib: capacity.gateway_rss_mib.open < 1024 && capacity.gateway_rss_mib.after_one_event_each < 1024 } : {}),
    no_loss_or_duplicate: [capacity, fanout].every((r) => !r || r.lost + r.duplicated + r.misordered_streams === 0),
    ...(fanout
      ? { p99_at_most_50_ms: fanout.latency_ms.p99 <= 50, p50_at_most_3x_redis: fanout.p50_ratio_to_redis <= 3, rate_reached: fanout.appended_per_second >= RATE * 0.95 }
      : {}),
  };
  const file = writeReport('stream', { capacity, fanout, targets_met: targets });
  console.log(`\ntargets met: ${JSON.stringify(targets)}\nreport: ${file}`);
} finally {
  await client.end();
  gateway.child.kill('SIGTERM');
  await new Promise((resolve) => (gateway.child.exitCode !== null ? resolve() : gateway.child.once('exit', resolve)));
  await dropDatabase(db);
}
