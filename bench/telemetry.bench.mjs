// pnpm bench:telemetry — what tracing and metrics cost a turn. The same turn workload as bench:turns
// (N sessions, each running turns of [model call → Bash `true` in its sandbox → model call → answer]
// back to back against a scripted model that answers at once) runs on the all-in-one with telemetry
// off (no OTEL_* variables, STRATUS_METRICS_PORT=0: no SDK) and on (traces and metrics over
// OTLP/HTTP-protobuf to a local receiver, spans exported every 1 s, /metrics scraped every 5 s),
// in alternating rounds. Prints turns/s both ways and the cost in % of throughput; writes a JSON
// report under bench/reports/. Goal: the cost stays under 5% of turn throughput.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { idleWatcher, machine, ROOT, startServer, writeReport } from './lib.mjs';

const require = createRequire(import.meta.url);
const { startScriptedModel } = require(path.join(ROOT, 'packages/testing/dist/index.js'));

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 20);
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const GOAL_PERCENT = 5;

/** An OTLP/HTTP receiver that takes every export and counts what it received (bytes, requests). */
async function startReceiver() {
  const received = { requests: 0, bytes: 0 };
  const server = createServer((request, response) => {
    request.on('data', (chunk) => (received.bytes += chunk.length));
    request.on('end', () => {
      received.requests++;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** One round: a fresh all-in-one, warmed up (every sandbox started), then DURATION seconds of turns. */
async function round(modelBaseURL, telemetryEnv, scrapeUrl) {
  const sandboxDir = mkdtempSync(path.join(tmpdir(), 'sbx-telemetry-'));
  const prefix = `stratus-bench-${randomBytes(4).toString('hex')}:`;
  const server = await startServer({
    RATE_LIMIT_REQUESTS: '0',
    REDIS_KEY_PREFIX: prefix,
    STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'bench', base_url: modelBaseURL, models: ['bench-model'] }]),
    STRATUS_WORKER_CONCURRENCY: String(SESSIONS),
    STRATUS_SANDBOX_DIR: sandboxDir,
    STRATUS_METRICS_PORT: '0',
    ...telemetryEnv,
  });
  const watcher = idleWatcher(prefix);
  let scraper;
  try {
    await watcher.ready;
    const agent = await server.stratus.agents.create({ name: 'bench', model: 'bench-model', tools: [{ type: 'agent_toolset_20260401', enabled_tools: ['Bash'] }] });
    const environment = await server.stratus.environments.create({ name: 'bench' });
    const sessions = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push((await server.stratus.sessions.create({ agent: agent.id, environment_id: environment.id })).id);
    const turnOf = async (sessionId) => {
      const idle = watcher.next(sessionId);
      await server.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: 'go' }] });
      const event = await idle;
      if (event.stop_reason?.type !== 'end_turn') throw new Error(`turn ended with ${JSON.stringify(event.stop_reason)}`);
    };
    for (let i = 0; i < sessions.length; i += 10) await Promise.all(sessions.slice(i, i + 10).map(turnOf));

    // Prometheus scrapes on its own schedule; so does this bench while telemetry is on.
    if (scrapeUrl) scraper = setInterval(() => fetch(scrapeUrl).then((r) => r.text()).catch(() => undefined), 5000);
    let completed = 0;
    const started = performance.now();
    const deadline = started + DURATION * 1000;
    await Promise.all(
      sessions.map(async (id) => {
        while (performance.now() < deadline) {
          await turnOf(id);
          completed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { turns: completed, seconds: Math.round(seconds * 10) / 10, turnsPerSecond: Math.round((completed / seconds) * 10) / 10 };
  } finally {
    clearInterval(scraper);
    watcher.close();
    await server.stop();
    rmSync(sandboxDir, { recursive: true, force: true });
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const model = await startScriptedModel({
  models: ['bench-model'],
  respond: ({ body }) =>
    body.messages.at(-1).role === 'tool'
      ? { kind: 'text', text: 'done', usage: { prompt_tokens: 20, completion_tokens: 1 } }
      : { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'true' } }], usage: { prompt_tokens: 10, completion_tokens: 5 } },
});
const receiver = await startReceiver();
const metricsPort = 20000 + Math.floor(Math.random() * 20000);
const ON = {
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_BSP_SCHEDULE_DELAY: '1000',
  OTEL_METRIC_EXPORT_INTERVAL: '5000',
  STRATUS_METRICS_PORT: String(metricsPort),
};

console.log(`machine: ${JSON.stringify(machine())}`);
console.log(`${SESSIONS} sessions, ${DURATION} s of turns per round, ${ROUNDS} round(s) each way, alternating\n`);
const results = { off: [], on: [] };
try {
  for (let i = 0; i < ROUNDS; i++) {
    // Alternating, starting with a different side each round: drift on a shared machine hits both.
    for (const side of i % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const result = await round(model.baseURL, side === 'on' ? ON : {}, side === 'on' ? `http://127.0.0.1:${metricsPort}/metrics` : undefined);
      results[side].push(result);
      console.log(`round ${i + 1}, telemetry ${side.padEnd(3)}  ${String(result.turnsPerSecond).padStart(7)} turns/s  (${result.turns} turns in ${result.seconds} s)`);
    }
  }
} finally {
  await receiver.close();
  await model.close();
}

const off = median(results.off.map((r) => r.turnsPerSecond));
const on = median(results.on.map((r) => r.turnsPerSecond));
const costPercent = Math.round(((off - on) / off) * 1000) / 10;
console.log();
console.log(`turns/s, telemetry off (median)`.padEnd(44), off);
console.log(`turns/s, telemetry on (median)`.padEnd(44), on);
console.log(`cost of telemetry, % of throughput`.padEnd(44), costPercent, `(goal < ${GOAL_PERCENT}%)`);
console.log(`OTLP received while on`.padEnd(44), `${receiver.received.requests} exports, ${Math.round(receiver.received.bytes / 1024)} KiB`);
const file = writeReport('telemetry', {
  sessions: SESSIONS,
  duration_seconds: DURATION,
  rounds: ROUNDS,
  turn_shape: 'model call → Bash `true` → model call → answer (2 model steps, 1 tool call)',
  telemetry_on: { ...ON, OTEL_EXPORTER_OTLP_ENDPOINT: 'a local OTLP/HTTP receiver', scrape_interval_seconds: 5 },
  results: { off: results.off, on: results.on, turns_per_second_off: off, turns_per_second_on: on, cost_percent: costPercent, otlp_received: receiver.received },
  goal: { cost_percent_below: GOAL_PERCENT },
  goal_met: costPercent < GOAL_PERCENT,
  notes: 'Throughput of back-to-back turns per session; each round starts a fresh all-in-one and warms every session (its sandbox started) before measuring. Medians across rounds.',
});
console.log(`\nreport: ${file}`);
