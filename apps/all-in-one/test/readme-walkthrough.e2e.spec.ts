import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';

// Runs the README's walk-through, command for command, against the built all-in-one process, as a
// new user would after the Quickstart. It fails when the README and the product drift apart.

const ROOT = path.resolve(__dirname, '..', '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const TOKEN = /^STRATUS_BOOTSTRAP_TOKEN=(\S+)$/m.exec(readFileSync(path.join(ROOT, '.env.example'), 'utf8'))![1]!;

function walkthroughScript(baseUrl: string): string {
  const section = README.slice(README.indexOf('## Walk-through'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  // The stream command follows the session until Ctrl-C; here it stops after a few seconds, which
  // curl reports as exit code 28 (time-out).
  return block
    .replaceAll('http://localhost:8080', baseUrl)
    .replace(/^curl -N (.*)$/m, (_line, rest: string) => `curl -N --max-time 8 ${rest} || [ $? -eq 28 ]`);
}

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
      STRATUS_BOOTSTRAP_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the all-in-one did not become ready');
}, 60_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await new Promise((r) => (server?.exitCode !== null ? r(undefined) : server.once('exit', r)));
  await db?.drop();
});

describe('the README walk-through', () => {
  it('runs end to end: a real turn with the demo model and a tool call in the sandbox', () => {
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', walkthroughScript(baseUrl)], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain('"id":"stratus-demo"');
    // The stream shows the turn: running, the Bash tool call and its result, then idle.
    for (const type of ['session.status_running', 'agent.tool_use', 'agent.tool_result', 'agent.message', 'session.status_idle']) {
      expect(out).toContain(`event: ${type}`);
    }
    expect(out).toContain('Linux');
  });
});
