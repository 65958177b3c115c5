import { spawnSync } from 'node:child_process';
import { startAllInOne, type AllInOneProcess } from '@stratus/testing';
import { readmeBlock, walkthroughScript } from './support/readme';

// Runs the README's webhook quickstart, command for command, after its walk-through, against the built
// all-in-one process started with the allow-list line the quickstart tells the reader to add.

let server: AllInOneProcess;
const receiverPort = 21000 + Math.floor(Math.random() * 20000);

beforeAll(async () => {
  server = await startAllInOne({ databaseName: 'stratus_readme_webhooks', env: { STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${receiverPort}` } });
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

it('the README webhook quickstart: a signed delivery reaches the receiver and is listed as succeeded', () => {
  const baseUrl = server.baseUrl;
  const webhooks = readmeBlock('Webhooks').replaceAll('http://localhost:8080', baseUrl).replaceAll('9000', String(receiverPort));
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', `${walkthroughScript(baseUrl)}\n${webhooks}`], { encoding: 'utf8', timeout: 90_000 });
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/whe_[0-9a-f]{32} session\.status_idle signature ok/);
  expect(result.stdout).not.toContain('BAD SIGNATURE');
  expect(result.stdout).toContain('"status": "succeeded"');
  expect(result.stdout).toContain('"response_status": 204');
}, 120_000);
