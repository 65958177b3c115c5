// pnpm bench:turns — session turns end to end through the all-in-one (API + worker): N concurrent
// sessions each run turns of [model call → Bash `true` in the session's sandbox → model call → answer]
// against a scripted model that answers at once. Prints turns/s, the platform's overhead per model
// step and per tool call (p50/p99), enqueue→turn-start latency, local sandbox start time and cancel
// latency, and writes a JSON report under bench/reports/.
// Targets on a 2-core machine: overhead per model step <= 5 ms p50, per tool call <= 15 ms p50
// (sandbox already up), local sandbox start <= 300 ms p50, >= 100 turns/s across 200 sessions.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { databaseUrl, machine, ROOT, startServer, writeReport } from './lib.mjs';

const require = createRequire(import.meta.url);
const { startScriptedModel } = require(path.join(ROOT, 'packages/testing/dist/index.js'));
const { LocalSandboxProvider } = require(path.join(ROOT, 'packages/sandbox/dist/index.js'));

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200);
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? SESSIONS);
const SANDBOX_RUNS = Number(process.env.BENCH_SANDBOX_RUNS ?? 20);
const CANCELS = Number(process.env.BENCH_CANCELS ?? 20);
const TARGETS = { turnsPerSecond: 100, modelStepOverheadP50Ms: 5, toolCallOverheadP50Ms: 15, sandboxStartP50Ms: 300 };

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0 };
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (v) => Math.round(v * 10) / 10;
  return { n: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1)) };
}

const line = (label, s, unit = 'ms') => console.log(`${label.padEnd(44)} p50 ${String(s.p50).padStart(7)} ${unit}   p99 ${String(s.p99).padStart(7)} ${unit}   (n=${s.n})`);

/** Local sandbox start, measured on the provider itself: one at a time, from provision() to a ready runner. */
async function sandboxStarts() {
  const baseDir = mkdtempSync(path.join(tmpdir(), 'sbx-bench-'));
  const provider = new LocalSandboxProvider({ baseDir, owner: 'bench', runnerEntry: path.join(ROOT, 'apps/sandbox-runner/dist/main.js'), logger: { warn: () => undefined } });
  const times = [];
  try {
    for (let i = 0; i < SANDBOX_RUNS; i++) {
      const sessionId = `sess_sandboxbench${process.pid}_${i}`;
      const handle = await provider.provision({ sessionId, workspaceId: 'w', environmentId: 'e', networking: { type: 'none' }, environmentVariables: {} });
      times.push(handle.startupMs);
      await provider.destroy(sessionId);
    }
  } finally {
    await provider.shutdown();
    rmSync(baseDir, { recursive: true, force: true });
  }
  return { isolation: provider.isolation, startup: stats(times) };
}

/** Waits for session.status_idle events published on the sessions' live channels. */
function idleWatcher() {
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
    ready: subscriber.psubscribe('stratus:session:*'),
    next: (sessionId) => new Promise((resolve) => waiting.set(sessionId, resolve)),
    close: () => subscriber.disconnect(),
  };
}

/** Per-turn timings from the event log: every timestamp is a commit time in PostgreSQL (ms resolution). */
async function turnTimings(dbName, since) {
  const client = new pg.Client({ connectionString: databaseUrl(dbName) });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT session_id, seq, type, turn_id, created_at FROM events WHERE created_at >= $1 ORDER BY session_id, seq`,
      [since],
    );
    const turns = new Map();
    for (const row of rows) {
      // A user.message takes the id of its turn once the turn consumes it.
      const key = row.turn_id;
      if (!key) continue;
      if (!turns.has(key)) turns.set(key, []);
      turns.get(key).push(row);
    }
    const enqueueToStart = [];
    const modelStep = [];
    const toolCall = [];
    const turn = [];
    for (const events of turns.values()) {
      const time = (type, nth = 0) => events.filter((e) => e.type === type)[nth]?.created_at.getTime();
      const message = time('user.message');
      const running = time('session.status_running');
      const idle = time('session.status_idle');
      if (message === undefined || running === undefined || idle === undefined) continue;
      enqueueToStart.push(running - message);
      turn.push(idle - message);
      for (let i = 0; ; i++) {
        const start = time('span.model_request_start', i);
        const end = time('span.model_request_end', i);
        if (start === undefined || end === undefined) break;
        modelStep.push(end - start);
      }
      const use = time('agent.tool_use');
      const result = time('agent.tool_result');
      if (use !== undefined && result !== undefined) toolCall.push(result - use);
    }
    return { enqueueToStart: stats(enqueueToStart), modelStep: stats(modelStep), toolCall: stats(toolCall), turn: stats(turn) };
  } finally {
    await client.end();
  }
}

const model = await startScriptedModel({
  models: ['bench-model'],
  respond: ({ body }) => {
    const last = body.messages.at(-1);
    if (last.role === 'tool') return { kind: 'text', text: 'done', usage: { prompt_tokens: 20, completion_tokens: 1 } };
    const command = JSON.stringify(last.content).includes('sleep') ? 'sleep 30' : 'true';
    return { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command } }], usage: { prompt_tokens: 10, completion_tokens: 5 } };
  },
});
const sandboxDir = mkdtempSync(path.join(tmpdir(), 'sbx-turns-'));
console.log(`machine: ${JSON.stringify(machine())}`);
console.log(`${SESSIONS} sessions, ${DURATION} s of turns, worker concurrency ${CONCURRENCY}\n`);

const sandbox = await sandboxStarts();
line(`local sandbox start (${sandbox.isolation})`, sandbox.startup);

const server = await startServer({
  RATE_LIMIT_REQUESTS: '0',
  STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'bench', base_url: model.baseURL, models: ['bench-model'] }]),
  STRATUS_WORKER_CONCURRENCY: String(CONCURRENCY),
  STRATUS_SANDBOX_DIR: sandboxDir,
  DATABASE_POOL_SIZE: process.env.BENCH_DATABASE_POOL_SIZE ?? '20',
});
// A crash of this script must not leave the server (and its sandboxes) running.
process.once('exit', () => {
  try {
    process.kill(server.pid, 'SIGTERM');
  } catch {
    // already stopped
  }
});
const watcher = idleWatcher();
await watcher.ready;
try {
  const agent = await server.stratus.agents.create({ name: 'bench', model: 'bench-model', tools: [{ type: 'agent_toolset_20260401', enabled_tools: ['Bash'] }] });
  const environment = await server.stratus.environments.create({ name: 'bench' });
  const sessions = [];
  for (let i = 0; i < SESSIONS; i++) sessions.push((await server.stratus.sessions.create({ agent: agent.id, environment_id: environment.id })).id);

  const turnOf = async (sessionId, content) => {
    const idle = watcher.next(sessionId);
    await server.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content }] });
    return idle;
  };

  // Warm-up: one turn per session starts its sandbox (in batches, so they do not all start at once).
  const warmStarted = performance.now();
  for (let i = 0; i < sessions.length; i += 20) await Promise.all(sessions.slice(i, i + 20).map((id) => turnOf(id, 'warm up')));
  console.log(`warm-up: ${sessions.length} turns (each starting a sandbox) in ${Math.round(performance.now() - warmStarted)} ms`);

  const since = new Date();
  const started = performance.now();
  const deadline = started + DURATION * 1000;
  let completed = 0;
  await Promise.all(
    sessions.map(async (id) => {
      while (performance.now() < deadline) {
        const idle = await turnOf(id, 'go');
        if (idle.stop_reason?.type !== 'end_turn') throw new Error(`turn ended with ${JSON.stringify(idle.stop_reason)}`);
        completed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const turnsPerSecond = Math.round((completed / elapsed) * 10) / 10;
  const timings = await turnTimings(server.database, since);

  // Cancel latency: a turn running `sleep 30`, cancelled; from POST /cancel to the stored session.status_idle.
  const cancels = [];
  for (const id of sessions.slice(0, CANCELS)) {
    const idle = watcher.next(id);
    await server.stratus.sessions.events.send(id, { events: [{ type: 'user.message', content: 'sleep' }] });
    const client = new pg.Client({ connectionString: databaseUrl(server.database) });
    await client.connect();
    for (;;) {
      const { rows } = await client.query(
        `SELECT 1 FROM events WHERE session_id = $1 AND type = 'agent.tool_use' AND payload->'input'->>'command' = 'sleep 30' AND created_at >= $2`,
        [id, since],
      );
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await client.end();
    // Let the command start in the sandbox.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const posted = Date.now();
    await server.stratus.sessions.cancel(id);
    const event = await idle;
    cancels.push(Date.parse(event.created_at) - posted);
  }
  const cancel = stats(cancels);

  console.log();
  console.log(`turns/s across ${SESSIONS} sessions`.padEnd(44), turnsPerSecond, `(${completed} turns in ${elapsed.toFixed(1)} s)`);
  line('turn, user.message → session.status_idle', timings.turn);
  line('enqueue → turn start (user.message → running)', timings.enqueueToStart);
  line('overhead per model step (instant model)', timings.modelStep);
  line('overhead per tool call (Bash `true`)', timings.toolCall);
  line('cancel during a tool (POST → idle stored)', cancel);
  line(`local sandbox start (${sandbox.isolation})`, sandbox.startup);

  const targets = {
    turnsPerSecond: turnsPerSecond >= TARGETS.turnsPerSecond,
    modelStepOverheadP50Ms: timings.modelStep.p50 <= TARGETS.modelStepOverheadP50Ms,
    toolCallOverheadP50Ms: timings.toolCall.p50 <= TARGETS.toolCallOverheadP50Ms,
    sandboxStartP50Ms: sandbox.startup.p50 <= TARGETS.sandboxStartP50Ms,
  };
  const file = writeReport('turns', {
    sessions: SESSIONS,
    duration_seconds: DURATION,
    worker_concurrency: CONCURRENCY,
    turn_shape: 'model call → Bash `true` → model call → answer (2 model steps, 1 tool call)',
    results: {
      turns_per_second: turnsPerSecond,
      turns_completed: completed,
      turn_ms: timings.turn,
      enqueue_to_start_ms: timings.enqueueToStart,
      model_step_overhead_ms: timings.modelStep,
      tool_call_overhead_ms: timings.toolCall,
      cancel_latency_ms: cancel,
      sandbox_start_ms: sandbox.startup,
      sandbox_isolation: sandbox.isolation,
    },
    targets: TARGETS,
    targets_met: targets,
    notes: 'Timestamps are event commit times in PostgreSQL (ms resolution); a model step spans span.model_request_start to span.model_request_end with a model that answers at once, a tool call agent.tool_use to agent.tool_result.',
  });
  console.log(`\ntargets met: ${JSON.stringify(targets)}\nreport: ${file}`);
} finally {
  watcher.close();
  await server.stop();
  await model.close();
  rmSync(sandboxDir, { recursive: true, force: true });
}
