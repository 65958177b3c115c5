// The API's hot statements one by one, in process against a bench database: each as the Prisma
// query it replaced and as the repository's SQL now, in alternating rounds (the machine is noisy),
// with `concurrency` callers on a pool of 10 connections. Part of pnpm bench:api.
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, stats } from './lib.mjs';

const require = createRequire(import.meta.url);
const load = (relative) => require(path.join(ROOT, relative));

const WITH_AGENT = { agentVersionRef: { include: { agent: true } } };

/** Calls `fn` from `concurrency` loops for `ms`; returns calls/s and latency percentiles. */
async function drive(fn, ms, concurrency) {
  const latencies = [];
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        await fn();
        latencies.push(performance.now() - start);
      }
    }),
  );
  return { per_second: Math.round(latencies.length / (ms / 1000)), latency_ms: stats(latencies) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * @param databaseUrl the bench server's database, with its workspace, token, agent and sessions
 * @returns one row per statement: medians over the rounds of Prisma's and the SQL's calls/s
 */
export async function measureStatements(databaseUrl, { rounds = 3, roundMs = 2000, concurrency = 32 } = {}) {
  const db = load('packages/db');
  const { TokensRepository } = load('packages/nest-common');
  const { SessionsRepository } = load('apps/api/dist/sessions/sessions.repository.js');
  const { AgentsRepository } = load('apps/api/dist/agents/agents.repository.js');
  const pool = db.createPool({ url: databaseUrl, poolSize: 10 });
  const prisma = db.createPrismaClient({ url: databaseUrl }, pool);
  const tokens = new TokensRepository(prisma, pool);
  const sessions = new SessionsRepository(prisma, pool, null);
  const agents = new AgentsRepository(prisma, pool);
  try {
    const token = await prisma.apiToken.findFirstOrThrow({ where: { revokedAt: null } });
    const session = await prisma.session.findFirstOrThrow({ where: { workspaceId: token.workspaceId }, orderBy: { id: 'desc' } });
    const workspaceId = token.workspaceId;
    const definition = { name: 'bench-agent', description: '', model: 'stratus-demo', system: 'Be brief.', tools: [], mcp_servers: [], metadata: {} };
    const page = { order: 'desc', take: 21 };
    const statements = [
      {
        statement: 'token lookup by hash',
        prisma: () => prisma.apiToken.findFirst({ where: { tokenHash: token.tokenHash, revokedAt: null } }),
        sql: () => tokens.findActiveByHash(token.tokenHash),
      },
      {
        statement: 'session point read (with agent and version)',
        prisma: () => prisma.session.findFirst({ where: { id: session.id, workspaceId }, include: WITH_AGENT }),
        sql: () => sessions.find(workspaceId, session.id),
      },
      {
        statement: 'session list page (21 rows)',
        prisma: () => prisma.session.findMany({ where: { workspaceId, archivedAt: null }, orderBy: { id: 'desc' }, take: 21, include: WITH_AGENT }),
        sql: () => sessions.listSlice(workspaceId, { includeArchived: false }, page),
      },
      {
        statement: 'agent create (agent and version 1)',
        prisma: () =>
          prisma.$transaction(async (tx) => {
            const id = db.newId('agent');
            const now = new Date();
            await tx.agent.create({ data: { id, workspaceId, currentVersion: 1, createdAt: now, updatedAt: now } });
            await tx.agentVersion.create({ data: { agentId: id, version: 1, name: 'bench-agent', description: '', model: 'stratus-demo', system: 'Be brief.', tools: [], mcpServers: [], metadata: {}, createdAt: now } });
          }),
        sql: () => agents.create(workspaceId, definition),
      },
    ];
    const rows = [];
    for (const { statement, prisma: viaPrisma, sql } of statements) {
      // Warm both: the JIT, the pool's connections and (for SQL) their prepared statements.
      await drive(viaPrisma, 300, concurrency);
      await drive(sql, 300, concurrency);
      const results = { prisma: [], sql: [] };
      for (let round = 0; round < rounds; round++) {
        results.prisma.push(await drive(viaPrisma, roundMs, concurrency));
        results.sql.push(await drive(sql, roundMs, concurrency));
      }
      const row = {
        statement,
        prisma_per_second: median(results.prisma.map((r) => r.per_second)),
        sql_per_second: median(results.sql.map((r) => r.per_second)),
        prisma_p50_ms: median(results.prisma.map((r) => r.latency_ms.p50)),
        sql_p50_ms: median(results.sql.map((r) => r.latency_ms.p50)),
        rounds: results,
      };
      console.log(`${statement.padEnd(44)} Prisma ${String(row.prisma_per_second).padStart(6)}/s (p50 ${row.prisma_p50_ms} ms)   SQL ${String(row.sql_per_second).padStart(6)}/s (p50 ${row.sql_p50_ms} ms)`);
      rows.push(row);
    }
    return rows;
  } finally {
    await prisma.$disconnect();
    await pool.end();
  }
}
