import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, SANDBOX_RUNNER_ENTRY, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
/** The quickstart token that .env.example gives the default workspace. */
const TOKEN = /^STRATUS_BOOTSTRAP_TOKEN=(\S+)$/m.exec(readFileSync(path.join(ROOT, '.env.example'), 'utf8'))![1]!;

export interface RunningServer {
  baseUrl: string;
  token: string;
  stop(): Promise<void>;
}

/** The built all-in-one (API, gateway, worker) as its own process on a database of its own. */
export async function startAllInOne(databaseName: string): Promise<RunningServer> {
  const db: TestDatabase = await createTestDatabase(databaseName);
  const port = 21000 + Math.floor(Math.random() * 20000);
  const baseUrl = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'apps', 'all-in-one', 'dist', 'main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      STRATUS_BOOTSTRAP_TOKEN: TOKEN,
      // This process's working directory is not the repository root, where the default points.
      STRATUS_SANDBOX_RUNNER_ENTRY: SANDBOX_RUNNER_ENTRY,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error('the all-in-one exited before it became ready (is it built?)');
    if (Date.now() > deadline) throw new Error('the all-in-one did not become ready within 30 s');
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseUrl,
    token: TOKEN,
    stop: async () => {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((resolve) => server.once('exit', resolve));
      }
      await db.drop();
    },
  };
}
