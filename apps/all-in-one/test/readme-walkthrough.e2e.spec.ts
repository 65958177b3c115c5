import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, SANDBOX_RUNNER_ENTRY, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { expectWalkthroughToPass, QUICKSTART_TOKEN, waitForReady } from './support/readme';

// Runs the README's walk-through, command for command, against the built all-in-one process, as a
// new user would after the Quickstart. It fails when the README and the product drift apart.

let db: TestDatabase;
let server: ChildProcess;
let baseUrl: string;

beforeAll(async () => {
  db = await createTestDatabase('stratus_readme');
  const port = 21000 + Math.floor(Math.random() * 20000);
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      STRATUS_BOOTSTRAP_TOKEN: QUICKSTART_TOKEN,
      STRATUS_SANDBOX_RUNNER_ENTRY: SANDBOX_RUNNER_ENTRY,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForReady(baseUrl, () => server.exitCode !== null, 30_000);
}, 120_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await new Promise((r) => (server?.exitCode !== null ? r(undefined) : server.once('exit', r)));
  await db?.drop();
});

describe('the README walk-through', () => {
  it('runs end to end: a real turn with the demo model and a tool call in the sandbox', () => {
    expectWalkthroughToPass(baseUrl);
  });
});
