import { randomBytes } from 'node:crypto';

/** The Redis tests run against; CI and the README start it on 127.0.0.1:6379. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The id jest's global set-up gives this run ("adhoc" outside jest), so its clean-up finds its keys and databases. */
export function testRunId(): string {
  return process.env.STRATUS_TEST_RUN ?? 'adhoc';
}

/** A key prefix of its own for one test file, so that parallel files never share Redis keys. */
export function testRedisPrefix(): string {
  return `stratus-test:${testRunId()}:${randomBytes(6).toString('hex')}:`;
}
