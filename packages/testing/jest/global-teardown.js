// Removes what this jest run left behind: the Redis keys under its prefixes and its databases
// (tests drop their own, but a failed or interrupted one may not). Only this run's: the names
// carry the run id that jest.base.js chose.
const { Redis } = require('ioredis');
const { Client } = require('pg');

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function dropRedisKeys(run) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `stratus-test:${run}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function dropDatabases(run) {
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname ~ $1`, [`_r${run}_[0-9a-f]{12}$`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

module.exports = async function globalTeardown() {
  const run = process.env.STRATUS_TEST_RUN;
  if (!run || !/^[0-9a-f]{8}$/.test(run)) return;
  const results = await Promise.allSettled([dropRedisKeys(run), dropDatabases(run)]);
  for (const result of results) {
    if (result.status === 'rejected') process.stderr.write(`test clean-up: ${result.reason?.message ?? result.reason}\n`);
  }
};
