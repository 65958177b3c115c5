// pnpm bench:turns [-- flags] — session turns end to end through the all-in-one (API, gateway and
// worker in one process) against a scripted model that answers at once. Scenarios (--scenarios=a,b):
//
//   turns    each of --clients (1,10,50) on a session created just before the timed phase (all at
//            once, as integrators do), running turns back to back for --duration seconds, measured
//            from the POST that sends `user.message` to `session.status_idle` on the session's SSE
//            stream; two kinds (--kinds): plain (`hello` → one model step, no tool) and tool (model →
//            Bash `echo` → model). turns/s, p50/p99, errors by status.
//   memory   --memory-sessions (500) sessions each run one turn (--memory-kinds: tool, chat), --memory-
//            concurrency at a time, on a fresh server each: RSS of the whole process tree (the server
//            and every process it started, summed from /proc) and the number of those processes.
//   starts   --starts (200) sessions are created and sent a tool turn, --starts-concurrency at a time:
//            the latency of POST /sessions/{id}/events while their sandboxes start.
//   runner   the sandbox runner started as the Kubernetes provider's pod runs it (the fake kubelet's
//            way): its RSS when idle.
//   overhead one session runs --overhead-turns (100) tool turns one after another: the platform's own
//            time per model step and per tool call, from the worker's spans (turn-overhead.mjs).
//   steady   the original figures: --sessions (200) sessions, warmed up (sandbox started), run tool
//            turns for --steady-duration seconds; overhead per model step and tool call from the event
//            log, enqueue→start, cancel latency, local sandbox start time.
//
// Examples (a bare `--` from pnpm is ignored):
//   pnpm bench:turns -- --scenarios=turns --clients=1,50 --duration=10
//   pnpm bench:turns -- --scenarios=memory,starts --memory-sessions=100 --starts=100
//   pnpm bench:turns -- --scenarios=turns --server-env=DATABASE_POOL_SIZE=5,STRATUS_WORKER_CONCURRENCY=8
// Every scenario's server runs with RATE_LIMIT_REQUESTS=0 and otherwise the defaults of .env.example,
// plus --server-env. Prints a table per scenario and writes one JSON report under bench/reports/.
//
// Targets on a 2-core machine (issue "Sandboxes at scale"): plain turns at 50 clients >= 300 turns/s,
// p99 <= 400 ms; tool turns at 50 clients >= 150 turns/s, p99 <= 800 ms; one client's tool turn p50
// <= 25 ms, p99 <= 80 ms; 0 errors; 500 tool sessions <= 1.5 GiB RSS in all, 500 chat-only sessions
// no sandbox process; POST /events p99 < 50 ms while 200 sandboxes start. Steady: overhead per model
// step <= 5 ms p50, per tool call <= 15 ms p50 (sandbox already up), local sandbox start <= 300 ms
// p50, >= 100 turns/s across 200 sessions. Overhead (issue 12): per model step <= 2 ms p50, per tool
// call <= 5 ms p50, outside the model call and the command's own run time.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { databaseUrl, idleWatcher, machine, parseFlags, ROOT, startServer, stats, writeReport } from './lib.mjs';
import { measureTurnOverhead, OVERHEAD_TARGETS } from './turn-overhead.mjs';
import { eventsWhileSandboxesStart, kubernetesRunnerIdle, memoryAfterSessions, turnsAtConcurrency } from './turns-scale.mjs';

const require = createRequire(import.meta.url);
const { startScriptedModel } = require(path.join(ROOT, 'packages/testing/dist/index.js'));
const { LocalSandboxProvider } = require(path.join(ROOT, 'packages/sandbox/dist/index.js'));

const flags = parseFlags(process.argv.slice(2), {
  scenarios: 'turns,memory,starts,runner,overhead,steady',
  clients: '1,10,50',
  kinds: 'plain,tool',
  duration: '10',
  'memory-sessions': '500',
  'memory-kinds': 'tool,chat',
  'memory-concurrency': '50',
  starts: '200',
  'starts-concurrency': '50',
  'server-env': '',
  'overhead-turns': '100',
  sessions: process.env.BENCH_SESSIONS ?? '200',
  'steady-duration': process.env.BENCH_DURATION_SECONDS ?? '20',
});
const list = (value) => String(value).split(',').map((v) => v.trim()).filter(Boolean);
const SCENARIOS = new Set(list(flags.scenarios));
const SERVER_ENV = Object.fromEntries(list(flags['server-env']).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));

const SESSIONS = Number(flags.sessions);
const DURATION = Number(flags['steady-duration']);
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? SESSIONS);
const SANDBOX_RUNS = Number(process.env.BENCH_SANDBOX_RUNS ?? 20);
const CANCELS = Number(process.env.BENCH_CANCELS ?? 20);
const TARGETS = { turnsPerSecond: 100, modelStepOverheadP50Ms: 5, toolCallOverheadP50Ms: 15, sandboxStartP50Ms: 300 };

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

/** A crash of this script must not leave a server (and its sandboxes) running. */
function stopOnExit(server) {
  process.once('exit', () => {
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      // already stopped
    }
  });
}

/** The original figures: warmed-up sessions running tool turns back to back, timed from the event log. */
async function steady(model, sandboxDir) {
  console.log(`\n== steady: ${SESSIONS} sessions, ${DURATION} s of turns, worker concurrency ${CONCURRENCY}`);

  const sandbox = await sandboxStarts();
  line(`local sandbox start (${sandbox.isolation})`, sandbox.startup);

  const server = await startServer({
    RATE_LIMIT_REQUESTS: '0',
    STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'bench', base_url: model.baseURL, models: ['bench-model'] }]),
    STRATUS_WORKER_CONCURRENCY: String(CONCURRENCY),
    STRATUS_SANDBOX_DIR: sandboxDir,
    DATABASE_POOL_SIZE: process.env.BENCH_DATABASE_POOL_SIZE ?? '20',
    ...SERVER_ENV,
  });
  stopOnExit(server);
  const watcher = idleWatcher(server.redisKeyPrefix);
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
    console.log(`targets met: ${JSON.stringify(targets)}`);
    return {
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
    };
  } finally {
    watcher.close();
    await server.stop();
  }
}

/** A server of the scale scenarios (the defaults a new user gets, without the rate limit) with its agent and environment. */
async function scaleServer(model, sandboxDir) {
  const server = await startServer({
    RATE_LIMIT_REQUESTS: '0',
    STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'bench', base_url: model.baseURL, models: ['bench-model'] }]),
    STRATUS_SANDBOX_DIR: sandboxDir,
    ...SERVER_ENV,
  });
  stopOnExit(server);
  const agent = await server.stratus.agents.create({ name: 'bench', model: 'bench-model', tools: [{ type: 'agent_toolset_20260401', enabled_tools: ['Bash'] }] });
  const environment = await server.stratus.environments.create({ name: 'bench' });
  return { server, setup: { agentId: agent.id, environmentId: environment.id } };
}

const errorText = (errors) => (Object.keys(errors).length === 0 ? '0' : Object.entries(errors).map(([k, v]) => `${v}× ${k}`).join(', '));

async function turnsScenario(model, sandboxDir) {
  console.log(`\n== turns: fresh sessions, ${flags.duration} s per row, user.message POST → session.status_idle on SSE`);
  console.log(`${'kind'.padEnd(6)} ${'clients'.padStart(7)} ${'turns/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'turns'.padStart(6)}  errors`);
  const { server, setup } = await scaleServer(model, sandboxDir);
  const rows = [];
  try {
    for (const kind of list(flags.kinds)) {
      for (const clients of list(flags.clients).map(Number)) {
        const row = await turnsAtConcurrency(server, setup, kind, clients, Number(flags.duration));
        rows.push(row);
        console.log(`${kind.padEnd(6)} ${String(clients).padStart(7)} ${String(row.turns_per_second).padStart(8)} ${String(row.turn_ms.p50).padStart(8)} ${String(row.turn_ms.p99).padStart(8)} ${String(row.turns).padStart(6)}  ${errorText(row.errors)}`);
      }
    }
  } finally {
    await server.stop();
  }
  return rows;
}

async function memoryScenario(model, sandboxDir) {
  const count = Number(flags['memory-sessions']);
  console.log(`\n== memory: ${count} sessions, one turn each (${flags['memory-concurrency']} at a time), fresh server per kind`);
  const rows = [];
  for (const kind of list(flags['memory-kinds'])) {
    const { server, setup } = await scaleServer(model, sandboxDir);
    try {
      const row = await memoryAfterSessions(server, setup, kind === 'chat' ? 'plain' : kind, count, Number(flags['memory-concurrency']));
      row.kind = kind;
      rows.push(row);
      const commands = Object.entries(row.tree.by_command).map(([c, v]) => `${c}×${v.processes} ${v.rss_mib} MiB`).join(', ');
      console.log(`${kind.padEnd(5)} tree RSS ${row.tree.rss_mib} MiB in ${row.tree.processes} processes (server alone before: ${row.idle_server_rss_mib} MiB; ${commands}); ${row.turns_completed} turns in ${row.seconds} s; errors ${errorText(row.errors)}`);
    } finally {
      await server.stop();
    }
  }
  return rows;
}

async function startsScenario(model, sandboxDir) {
  const count = Number(flags.starts);
  console.log(`\n== starts: ${count} sessions created and sent a tool turn, ${flags['starts-concurrency']} clients`);
  const { server, setup } = await scaleServer(model, sandboxDir);
  try {
    const row = await eventsWhileSandboxesStart(server, setup, count, Number(flags['starts-concurrency']));
    line('POST /sessions/{id}/events while sandboxes start', row.post_events_ms);
    line('turn (POST → idle on SSE)', row.turn_ms);
    console.log(`created in ${row.create_seconds} s, all turns done ${row.all_turns_seconds} s later; peak ${row.peak_server_descendants} processes under the server; errors ${errorText(row.errors)}`);
    return row;
  } finally {
    await server.stop();
  }
}

async function overheadScenario(model, sandboxDir) {
  const turns = Number(flags['overhead-turns']);
  console.log(`\n== overhead: ${turns} tool turns one after another on one session (sandbox up), from the worker's spans`);
  const row = await measureTurnOverhead({ model, sandboxDir, watcherOf: idleWatcher, turns, serverEnv: SERVER_ENV });
  line('platform overhead per model step', row.step);
  line('platform overhead per tool call (Bash `true`)', row.toolCall);
  const targets = { stepOverheadP50Ms: row.step.p50 <= OVERHEAD_TARGETS.stepOverheadP50Ms, toolCallOverheadP50Ms: row.toolCall.p50 <= OVERHEAD_TARGETS.toolCallOverheadP50Ms };
  console.log(`targets met: ${JSON.stringify(targets)}`);
  return { turns, results: { step_overhead_ms: row.step, tool_call_overhead_ms: row.toolCall }, targets: OVERHEAD_TARGETS, targets_met: targets };
}

const model = await startScriptedModel({
  models: ['bench-model'],
  respond: ({ body }) => {
    const last = body.messages.at(-1);
    if (last.role === 'tool') return { kind: 'text', text: 'done', usage: { prompt_tokens: 20, completion_tokens: 1 } };
    const content = JSON.stringify(last.content);
    if (content.includes('hello')) return { kind: 'text', text: 'hi', usage: { prompt_tokens: 10, completion_tokens: 1 } };
    const command = content.includes('sleep') ? 'sleep 30' : content.includes('echo') ? 'echo hi' : 'true';
    return { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command } }], usage: { prompt_tokens: 10, completion_tokens: 5 } };
  },
});
const sandboxDir = mkdtempSync(path.join(tmpdir(), 'sbx-turns-'));
console.log(`machine: ${JSON.stringify(machine())}`);
console.log(`scenarios: ${[...SCENARIOS].join(', ')}${Object.keys(SERVER_ENV).length ? `; server env ${JSON.stringify(SERVER_ENV)}` : ''}`);
const report = { flags, server_env: SERVER_ENV, scenarios: {} };
try {
  if (SCENARIOS.has('turns')) report.scenarios.turns = await turnsScenario(model, sandboxDir);
  if (SCENARIOS.has('memory')) report.scenarios.memory = await memoryScenario(model, sandboxDir);
  if (SCENARIOS.has('starts')) report.scenarios.starts = await startsScenario(model, sandboxDir);
  if (SCENARIOS.has('runner')) {
    report.scenarios.runner = await kubernetesRunnerIdle();
    console.log(`\n== runner: Kubernetes sandbox runner idle RSS ${report.scenarios.runner.rss_mib_ready_idle} MiB (after one command ${report.scenarios.runner.rss_mib_idle_after_one_command} MiB)`);
  }
  if (SCENARIOS.has('overhead')) report.scenarios.overhead = await overheadScenario(model, sandboxDir);
  if (SCENARIOS.has('steady')) report.scenarios.steady = await steady(model, sandboxDir);
} finally {
  console.log(`\nreport: ${writeReport('turns', report)}`);
  await model.close();
  rmSync(sandboxDir, { recursive: true, force: true });
}
