import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, type TestDatabase } from './database';
import { TEST_REDIS_URL, testRedisPrefix } from './redis';
import { SANDBOX_RUNNER_ENTRY } from './sandbox-runner';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The all-in-one's built entry point in this repository. Packages never depend on the app, so tests
 * start it by path, as a deployment runs it (its test task builds it first).
 */
export const ALL_IN_ONE_ENTRY = path.join(ROOT, 'apps/all-in-one/dist/main.js');

/** The quickstart token that .env.example gives the default workspace, as the README uses it. */
export const QUICKSTART_TOKEN = /^STRATUS_BOOTSTRAP_TOKEN=(\S+)$/m.exec(readFileSync(path.join(ROOT, '.env.example'), 'utf8'))![1]!;

export interface AllInOneOptions {
  /** The prefix of its database's name (default `stratus_all_in_one`). */
  databaseName?: string;
  /** Variables on top of the test defaults (and of this process's environment). */
  env?: Record<string, string>;
  /** How long it may take to become ready (default 60 s, for a loaded machine). */
  readyTimeoutMs?: number;
}

/** The built all-in-one (API, gateway, worker) running as its own process on a database of its own. */
export interface AllInOneProcess {
  /** The server's origin, e.g. `http://127.0.0.1:43117`. */
  baseUrl: string;
  /** A token of the default workspace (the quickstart token). */
  token: string;
  db: TestDatabase;
  child: ChildProcess;
  /** The lines it has written to stdout so far (its log). */
  logLines(): readonly string[];
  /** Stops the process (SIGTERM, then waits for it to exit) and drops its database. */
  stop(): Promise<void>;
}

/**
 * Starts the built all-in-one on a free port (it listens on port 0 and the test reads the port from
 * its "listening on" log line) with a fresh database and Redis key prefix, the quickstart token and the
 * repository's sandbox runner; resolves once /readyz answers.
 */
export async function startAllInOne(options: AllInOneOptions = {}): Promise<AllInOneProcess> {
  const db = await createTestDatabase(options.databaseName ?? 'stratus_all_in_one');
  const child = spawn(process.execPath, [ALL_IN_ONE_ENTRY], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      STRATUS_BOOTSTRAP_TOKEN: QUICKSTART_TOKEN,
      // The test's working directory is not the repository root, where the default points.
      STRATUS_SANDBOX_RUNNER_ENTRY: SANDBOX_RUNNER_ENTRY,
      // The listening line is how the test learns the port.
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await db.drop();
  };
  try {
    // A safety net, not a deadline: the wait ends on the listening line. A fresh all-in-one migrates its
    // database and boots three apps, which took over 60 s on a 2-core machine at load 30.
    const timeoutMs = options.readyTimeoutMs ?? 180_000;
    const baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the all-in-one did not listen within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      // Reading every line also keeps the pipe drained, so the process never blocks on logging.
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        const match = /listening on (http:\/\/[\d.:]+)/.exec(line);
        if (!match) return;
        clearTimeout(timer);
        resolve(match[1]!);
      });
      void exited.then(() => reject(new Error(`the all-in-one exited before it listened (is it built?): ${stderr}`)));
    });
    await waitForReady(baseUrl, () => child.exitCode !== null, timeoutMs);
    return { baseUrl, token: QUICKSTART_TOKEN, db, child, logLines: () => lines, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until a server answers /readyz, or fails when `exited()` says its process ended first. */
export async function waitForReady(baseUrl: string, exited: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('the server exited before it became ready');
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the server did not become ready within ${timeoutMs} ms`);
}
