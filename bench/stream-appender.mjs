// The writer half of `pnpm bench:stream`, in a process of its own as the worker would be: it
// appends events through the EventStore (commit to PostgreSQL, then PUBLISH on Redis) at a target
// rate, and records when each event was published on the monotonic clock every process shares.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const require = createRequire(path.join(ROOT, 'apps/gateway/package.json'));
const { createPrismaClient } = require('@stratus/db');
const { EventStore } = require('@stratus/events');
const { Redis } = require('ioredis');

const now = () => Number(process.hrtime.bigint());

/** Appends one batch per call, round-robin over the sessions, keeping at most `concurrency` in flight. */
async function run({ databaseUrl, redisUrl, redisKeyPrefix, sessions, rate, seconds, total, batch, concurrency }) {
  total ??= Infinity;
  const prisma = createPrismaClient({ url: databaseUrl, poolSize: concurrency });
  const publisher = new Redis(redisUrl);
  const store = new EventStore(prisma, publisher, redisKeyPrefix);
  const published = [];
  let appended = 0;
  let inFlight = 0;
  let next = 0;
  let failed = 0;
  const text = 'x'.repeat(200);

  const appendOne = async () => {
    const sessionId = sessions[next++ % sessions.length];
    const events = Array.from({ length: batch }, () => ({ type: 'agent.message', processed: true, payload: { content: [{ type: 'text', text }] } }));
    const rows = await prisma.$transaction((tx) => store.appendInTransaction(tx, sessionId, events));
    const at = now();
    await store.publish(rows);
    for (const row of rows) published.push(row.id, at);
  };

  const started = now();
  const cpuAtStart = process.cpuUsage();
  const deadline = started + seconds * 1e9;
  await new Promise((resolve) => {
    const tick = () => {
      const t = now();
      if (t >= deadline || appended >= total) {
        if (inFlight === 0) return resolve();
        return setTimeout(tick, 5);
      }
      const due = Math.min(total, Math.floor(((t - started) / 1e9) * rate)) - appended;
      for (let i = 0; i < due && inFlight < concurrency; i += batch) {
        appended += batch;
        inFlight += 1;
        appendOne()
          .catch(() => (failed += 1))
          .finally(() => (inFlight -= 1));
      }
      setTimeout(tick, 2);
    };
    tick();
  });
  const elapsed = (now() - started) / 1e9;
  const cpu = process.cpuUsage(cpuAtStart);
  await prisma.$disconnect();
  publisher.disconnect();
  return { published, elapsed, failed, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

process.once('message', (command) => {
  run(command).then(
    (result) => process.send({ ok: true, ...result }, () => process.exit(0)),
    (error) => process.send({ ok: false, error: String(error?.stack ?? error) }, () => process.exit(1)),
  );
});
