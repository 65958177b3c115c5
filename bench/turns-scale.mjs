// The scale scenarios of bench:turns (see the header of turns.bench.mjs): turns of fresh sessions
// measured on their SSE streams, the memory of the process tree after many sessions, the API's
// latency while sandboxes start, and the Kubernetes runner's idle memory.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pool, ROOT, stats } from './lib.mjs';
import { cpuPer, cpuReading, processRssMib, processTreeMemory } from './process-tree.mjs';
import { openSessionStream } from './sse-client.mjs';

const TURN_TIMEOUT_MS = 120_000;
/** Attempts of a request answered 429/503 with retry-after (honoured, as a client should). */
const MAX_ATTEMPTS = 5;

/** What a turn of each kind sends; the scripted model answers `hello` with text and `echo` with a Bash call. */
export const TURN_CONTENT = { plain: 'hello', tool: 'please echo' };

/** Counts of failures by what failed and how: `POST /sessions 503`, `turn timeout`, `stop error`. */
class ErrorCounts {
  counts = {};
  add(key) {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }
  get total() {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}

/**
 * A POST that records every non-2xx answer in `errors` and retries 429/503 after their retry-after.
 * Resolves with the body and the latency of the successful attempt; rejects after MAX_ATTEMPTS.
 */
async function post(server, route, body, label, errors) {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const response = await fetch(`${server.url}/api/v1/cloud${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await response.json().catch(() => undefined);
    const ms = performance.now() - started;
    if (response.ok) return { json, ms };
    const retryAfter = response.headers.get('retry-after');
    errors.add(`${label} ${response.status}${retryAfter ? ' (retry-after)' : ''}`);
    if (!((response.status === 429 || response.status === 503) && retryAfter) || attempt >= MAX_ATTEMPTS) {
      throw new Error(`${label}: ${response.status} ${JSON.stringify(json)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000));
  }
}

/** Creates `count` sessions at once (as an integrator opening a batch does), recording failures. */
async function createSessions(server, setup, count, errors, concurrency = count) {
  const ids = await pool(Array.from({ length: count }), concurrency, async () => {
    try {
      return (await post(server, '/sessions', { agent: setup.agentId, environment_id: setup.environmentId }, 'POST /sessions', errors)).json.id;
    } catch {
      return undefined;
    }
  });
  return ids.filter(Boolean);
}

/**
 * One turn on an open stream: from sending the user.message to its session.status_idle on the stream.
 * Returns the turn's duration and the POST's latency, or undefined when the turn failed (counted).
 */
async function turnOnStream(server, stream, sessionId, content, errors) {
  const started = performance.now();
  let sent;
  try {
    sent = await post(server, `/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content }] }, 'POST /events', errors);
  } catch {
    return undefined;
  }
  try {
    const idle = await stream.idleAfter(sent.json.data[0].id, TURN_TIMEOUT_MS);
    if (idle.stop_reason?.type !== 'end_turn') {
      errors.add(`turn stop_reason ${idle.stop_reason?.type}`);
      return undefined;
    }
  } catch (error) {
    errors.add(`turn ${error.code ?? 'stream error'}`);
    return undefined;
  }
  return { turnMs: performance.now() - started, postMs: sent.ms };
}

/** One turn of a session of its own stream: opened before the message, closed after the idle. */
async function singleTurn(server, sessionId, content, errors) {
  let stream;
  try {
    stream = await openSessionStream(server, sessionId);
  } catch (error) {
    errors.add(`GET /stream ${error.status ?? 'error'}`);
    return undefined;
  }
  try {
    return await turnOnStream(server, stream, sessionId, content, errors);
  } finally {
    await stream.close();
  }
}

/**
 * `clients` fresh sessions (created at once just before the timed phase), each running turns of
 * `kind` back to back on its own stream for `durationS` seconds.
 */
export async function turnsAtConcurrency(server, setup, kind, clients, durationS) {
  const errors = new ErrorCounts();
  const sessions = await createSessions(server, setup, clients, errors);
  const streams = await Promise.all(sessions.map((id) => openSessionStream(server, id)));
  const turns = [];
  const cpuBefore = cpuReading(server.pid, server.database);
  const started = performance.now();
  const deadline = started + durationS * 1000;
  await Promise.all(
    sessions.map(async (id, i) => {
      while (performance.now() < deadline) {
        const turn = await turnOnStream(server, streams[i], id, TURN_CONTENT[kind], errors);
        if (turn) turns.push(turn.turnMs);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuPer(cpuBefore, cpuReading(server.pid, server.database), turns.length);
  await Promise.all(streams.map((s) => s.close()));
  return {
    kind,
    clients,
    sessions_created: sessions.length,
    turns: turns.length,
    seconds: Math.round(elapsed * 10) / 10,
    turns_per_second: Math.round((turns.length / elapsed) * 10) / 10,
    turn_ms: stats(turns),
    // Where each turn's CPU went: with every core busy, cores × 1000 / total is the machine's ceiling.
    cpu_ms_per_turn: cpu,
    errors: errors.counts,
  };
}

/** Samples the server's process tree until its process count has not changed for `quietMs`. */
async function settledTree(pid, quietMs = 3000, maxMs = 60_000) {
  const until = Date.now() + maxMs;
  let last = processTreeMemory(pid);
  let stableSince = Date.now();
  while (Date.now() < until && Date.now() - stableSince < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = processTreeMemory(pid);
    if (now.processes !== last.processes) stableSince = Date.now();
    last = now;
  }
  return last;
}

/** `count` sessions each run one turn of `kind`; then the RSS of the whole process tree. */
export async function memoryAfterSessions(server, setup, kind, count, concurrency) {
  const errors = new ErrorCounts();
  const before = processTreeMemory(server.pid);
  const started = performance.now();
  const sessions = await createSessions(server, setup, count, errors, concurrency);
  const done = await pool(sessions, concurrency, (id) => singleTurn(server, id, TURN_CONTENT[kind], errors));
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const tree = await settledTree(server.pid);
  return { kind, sessions: sessions.length, turns_completed: done.filter(Boolean).length, seconds, idle_server_rss_mib: before.rss_mib, tree, errors: errors.counts };
}

/**
 * `count` sessions are created and each is sent a tool turn at once (`concurrency` clients): the
 * sandboxes start (at create before lazy provisioning, at the first tool call after) while the
 * POSTs are timed. Reports the POST latencies and the peak of processes the server had started.
 */
export async function eventsWhileSandboxesStart(server, setup, count, concurrency) {
  const errors = new ErrorCounts();
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, processTreeMemory(server.pid).descendants)), 500);
  try {
    const started = performance.now();
    const sessions = await createSessions(server, setup, count, errors, concurrency);
    const created = performance.now();
    const turns = await pool(sessions, concurrency, (id) => singleTurn(server, id, TURN_CONTENT.tool, errors));
    const done = turns.filter(Boolean);
    return {
      sessions: sessions.length,
      concurrency,
      create_seconds: Math.round((created - started) / 100) / 10,
      all_turns_seconds: Math.round((performance.now() - created) / 100) / 10,
      post_events_ms: stats(done.map((t) => t.postMs)),
      turn_ms: stats(done.map((t) => t.turnMs)),
      peak_server_descendants: peak,
      errors: errors.counts,
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * The Kubernetes provider's runner at idle: the sandbox runner started the way the fake kubelet
 * starts a pod's container (its own process, the pod's variables), its RSS once ready and after a
 * command, when it has nothing to do.
 */
export async function kubernetesRunnerIdle() {
  const workspace = mkdtempSync(path.join(tmpdir(), 'runner-idle-'));
  const token = 'bench-runner-token-0123456789abcdef';
  const child = spawn(process.execPath, [path.join(ROOT, 'apps/sandbox-runner/dist/main.js')], {
    env: { PATH: process.env.PATH, HOSTNAME: 'sandbox-bench', STRATUS_RUNNER_TOKEN: token, STRATUS_RUNNER_PORT: '0', STRATUS_RUNNER_HOST: '127.0.0.1', STRATUS_WORKSPACE_DIR: workspace },
    cwd: workspace,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: child.stdout });
    const [address] = await new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`runner exited with ${code}`)));
      lines.on('line', (line) => {
        const match = /listening on (\S+)/.exec(line);
        if (match) resolve([match[1]]);
      });
    });
    child.stdout.resume();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ready = processRssMib(child.pid);
    const exec = await fetch(`http://${address}/v1/exec`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ command: 'echo hi' }) });
    if (!exec.ok) throw new Error(`runner exec: ${exec.status}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return { rss_mib_ready_idle: ready, rss_mib_idle_after_one_command: processRssMib(child.pid) };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
    rmSync(workspace, { recursive: true, force: true });
  }
}
