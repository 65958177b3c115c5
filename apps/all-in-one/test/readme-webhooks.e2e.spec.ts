import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { QUICKSTART_TOKEN, readmeBlock, waitForReady, walkthroughScript } from './support/readme';

// Runs the README's webhook quickstart, command for command, after its walk-through, against the built
// all-in-one process started with the allow-list line the quickstart tells the reader to add.

let db: TestDatabase;
let server: ChildProcess;
let baseUrl: string;
const receiverPort = 21000 + Math.floor(Math.random() * 20000);

beforeAll(async () => {
  db = await createTestDatabase('stratus_readme_webhooks');
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
      STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${receiverPort}`,
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

it('the README webhook quickstart: a signed delivery reaches the receiver and is listed as succeeded', () => {
  const webhooks = readmeBlock('Webhooks').replaceAll('http://localhost:8080', baseUrl).replaceAll('9000', String(receiverPort));
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', `${walkthroughScript(baseUrl)}\n${webhooks}`], { encoding: 'utf8', timeout: 90_000 });
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/whe_[0-9a-f]{32} session\.status_idle signature ok/);
  expect(result.stdout).not.toContain('BAD SIGNATURE');
  expect(result.stdout).toContain('"status": "succeeded"');
  expect(result.stdout).toContain('"response_status": 204');
}, 120_000);
