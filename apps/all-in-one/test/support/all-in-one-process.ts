import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, SANDBOX_RUNNER_ENTRY, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { QUICKSTART_TOKEN, waitForReady } from './readme';

/** The built all-in-one running as its own process on a database of its own. */
export interface AllInOneProcess {
  baseUrl: string;
  token: string;
  stop(): Promise<void>;
}

/** `env` adds to (or overrides) the variables the process gets. */
export async function startAllInOne(databaseName: string, env: NodeJS.ProcessEnv = {}): Promise<AllInOneProcess> {
  const db: TestDatabase = await createTestDatabase(databaseName);
  const port = 21000 + Math.floor(Math.random() * 20000);
  const baseUrl = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'main.js')], {
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
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForReady(baseUrl, () => server.exitCode !== null, 30_000);
  return {
    baseUrl,
    token: QUICKSTART_TOKEN,
    stop: async () => {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((resolve) => server.once('exit', resolve));
      }
      await db.drop();
    },
  };
}
