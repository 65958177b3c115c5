// pnpm bench:api — drives the all-in-one with autocannon: GET /sessions/{id}, GET /sessions?limit=20
// and POST /agents flat out, and POST /sessions/{id}/events at a fixed rate (BENCH_SEND_RATE, 200/s).
// Prints requests/s, p50 and p99 per endpoint, then measures the statements behind them one by one
// (bench/statements.mjs), and writes a JSON report with the load average around it.
// Targets on a 2-core machine: GET /sessions/{id} >= 4,000 req/s with p99 < 20 ms; GET /sessions?limit=20
// >= 2,000 req/s; POST /agents >= 1,500 req/s; POST events p99 < 15 ms at 200 req/s.
import os from 'node:os';
import { autocannonRun, databaseUrl, machine, startServer, summarize, writeReport } from './lib.mjs';
import { cpuPer, cpuReading } from './process-tree.mjs';
import { sendEventsAtFixedRate } from './send-rate.mjs';
import { measureStatements } from './statements.mjs';

const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SEND_RATE = Number(process.env.BENCH_SEND_RATE ?? 200);

/**
 * One endpoint flat out, with the CPU each request cost (server, PostgreSQL, Redis, and this process's
 * autocannon): with both cores busy, cores × 1000 / total ms is what the machine can serve at most.
 */
async function run(server, title, method, route, body) {
  const before = cpuReading(server.pid, server.database);
  const result = await autocannonRun({
    url: `${server.url}/api/v1/cloud${route}`,
    method,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const cpu = cpuPer(before, cpuReading(server.pid, server.database), result.requests.total);
  const row = { ...summarize(title, result), cpu_ms_per_request: cpu };
  console.log(`${''.padEnd(36)} CPU ms per request: server ${cpu.server}, postgres ${cpu.postgres}, redis ${cpu.redis}, autocannon ${cpu.bench} = ${cpu.total}`);
  return row;
}

const loadBefore = os.loadavg();
const server = await startServer({ RATE_LIMIT_REQUESTS: '100000000' });
try {
  const agent = await server.stratus.agents.create({ name: 'bench', model: 'stratus-demo' });
  const env = await server.stratus.environments.create({ name: 'bench' });
  let session;
  const sessionIds = [];
  for (let i = 0; i < 50; i++) {
    session = await server.stratus.sessions.create({ agent: agent.id, environment_id: env.id, title: `s${i}` });
    sessionIds.push(session.id);
  }
  console.log(`machine: ${JSON.stringify(machine())}; ${CONNECTIONS} connections, ${DURATION} s each\n`);
  // A short warm-up so the JIT and the connection pools are ready before measuring.
  await run(server, 'warm-up', 'GET', `/sessions/${session.id}`).catch(() => undefined);
  const results = [
    await run(server, `GET /sessions/{id}`, 'GET', `/sessions/${session.id}`),
    await run(server, `GET /sessions?limit=20`, 'GET', '/sessions?limit=20'),
    await run(server, `POST /agents`, 'POST', '/agents', { name: 'bench-agent', model: 'stratus-demo', system: 'Be brief.' }),
  ];
  const send = await sendEventsAtFixedRate(server, sessionIds, { rate: SEND_RATE, duration: DURATION });
  results.push(send);
  const targets = {
    'GET /sessions/{id}': results[0].requests_per_second >= 4000 && results[0].latency_ms.p99 < 20,
    'GET /sessions?limit=20': results[1].requests_per_second >= 2000,
    'POST /agents': results[2].requests_per_second >= 1500,
    'POST /sessions/{id}/events': send.latency_ms.p99 < 15 && send.non_2xx === 0,
  };
  const loadAfterHttp = os.loadavg();
  console.log(`\nstatements, in process (Prisma as before, SQL as now), ${CONNECTIONS} callers on 10 connections:`);
  const statements = await measureStatements(databaseUrl(server.database), { concurrency: CONNECTIONS });
  const load_average = { before: loadBefore, after_http: loadAfterHttp, after: os.loadavg() };
  const file = writeReport('api', { connections: CONNECTIONS, duration_seconds: DURATION, load_average, results, targets_met: targets, statements });
  console.log(`\nload average (1, 5, 15 min): ${load_average.before.map((l) => l.toFixed(1)).join(', ')} before, ${load_average.after.map((l) => l.toFixed(1)).join(', ')} after`);
  console.log(`targets met: ${JSON.stringify(targets)}\nreport: ${file}`);
} finally {
  await server.stop();
}
