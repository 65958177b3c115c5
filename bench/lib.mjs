// Shared helpers for the benchmark scripts: machine facts, report writing, starting the
// all-in-one server against a throwaway database, and the SDK client the scripts set up their data with.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The SDK's built CommonJS entry, loaded on first use (the scripts that start a server build it first). */
export const loadSdk = () => createRequire(import.meta.url)(path.join(ROOT, 'packages/sdk'));

/** What the figures were measured on. */
export function machine() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Writes bench/reports/<name>-<timestamp>.json and returns its path. */
export function writeReport(name, report) {
  const dir = path.join(ROOT, 'bench', 'reports');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine: machine(), ...report }, null, 2)}\n`);
  return file;
}

export function databaseUrl(name) {
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(name) {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

/** Starts the built all-in-one on a free port with a fresh database; resolves once it is ready. */
export async function startServer(extraEnv = {}) {
  const db = `stratus_bench_${randomBytes(4).toString('hex')}`;
  const token = `pt-bench-${randomBytes(16).toString('hex')}`;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const redisKeyPrefix = extraEnv.REDIS_KEY_PREFIX ?? `stratus-bench-${db}:`;
  const child = spawn(process.execPath, [path.join(ROOT, 'apps/all-in-one/dist/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl(db),
      STRATUS_BOOTSTRAP_TOKEN: token,
      LOG_LEVEL: 'warn',
      ...extraEnv,
      REDIS_KEY_PREFIX: redisKeyPrefix,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stopChild = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => (exited(child) ? r() : child.once('exit', r)));
  };
  try {
    await untilReady(child, url);
  } catch (error) {
    // Neither the process (with its sandboxes) nor the database it may have created outlives a bench
    // that gives up on it.
    await stopChild();
    await dropDatabase(db);
    throw error;
  }
  return {
    url,
    token,
    /** An SDK client of the server, for what a benchmark sets up and reads through the API. */
    stratus: new (loadSdk().Stratus)({ baseURL: url, token }),
    pid: child.pid,
    /** Its Redis keys' and channels' prefix, for benchmarks that watch the sessions' live channels. */
    redisKeyPrefix,
    /** The throwaway database's name, for benchmarks that read the event log directly. */
    database: db,
    async stop() {
      await stopChild();
      await dropDatabase(db);
    },
  };
}

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

/** Polls the server's /readyz for up to a minute; rejects when the process exits first or time runs out. */
async function untilReady(child, url) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited(child)) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Resolves each session's next session.status_idle, heard on the deployment's live channels
 * (`<prefix>session:*`): a turn's end without an SSE stream per session. Await `ready` before the first turn.
 */
export function idleWatcher(redisKeyPrefix) {
  const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const waiting = new Map();
  subscriber.on('pmessage', (_pattern, channel, raw) => {
    // The pattern also matches the sessions' delta channels (`…:deltas`), which carry previews.
    if (channel.endsWith(':deltas')) return;
    const { event } = JSON.parse(raw);
    if (event?.type !== 'session.status_idle') return;
    const resolve = waiting.get(event.session_id);
    waiting.delete(event.session_id);
    resolve?.(event);
  });
  return {
    ready: subscriber.psubscribe(`${redisKeyPrefix}session:*`),
    next: (sessionId) => new Promise((resolve) => waiting.set(sessionId, resolve)),
    close: () => subscriber.disconnect(),
  };
}

/** Runs autocannon with `options`, without its progress bar and tables; resolves to its result. */
export function autocannonRun(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/** An endpoint's report row from an autocannon result, printed as one line of the benchmark's table. */
export function summarize(endpoint, result) {
  const row = {
    endpoint,
    requests_per_second: Math.round(result.requests.average),
    latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  console.log(`${endpoint.padEnd(36)} ${String(row.requests_per_second).padStart(6)} req/s   p50 ${row.latency_ms.p50} ms   p99 ${row.latency_ms.p99} ms   non-2xx ${row.non_2xx}`);
  return row;
}

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Percentiles of a list of numbers (ms), rounded to 0.1. */
export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0 };
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (v) => Math.round(v * 10) / 10;
  return { n: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1)) };
}

/**
 * `--name=value` / `--name value` / `--flag` arguments over defaults. A bare `--` is skipped:
 * `pnpm bench:x -- --flag` passes it through literally. An unknown flag stops the script.
 */
export function parseFlags(argv, defaults) {
  const flags = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue;
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match || !(match[1] in defaults)) throw new Error(`unknown argument ${arg}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`);
    const [, name, inline] = match;
    if (typeof defaults[name] === 'boolean') flags[name] = inline === undefined ? true : inline !== 'false';
    else flags[name] = inline ?? argv[++i];
  }
  return flags;
}

/** Runs `task` over `items` with at most `limit` running at once; resolves to the results in order. */
export async function pool(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i], i);
      }
    }),
  );
  return results;
}
