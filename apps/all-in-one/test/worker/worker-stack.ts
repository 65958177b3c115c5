import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, eventually, removeSandboxBase, sql, startScriptedModel, testRedisPrefix, type ScriptedModel, type ScriptedModelOptions, type TestDatabase } from '@stratus/testing';
import { allEvents, MODEL, scriptedProviders, stackEnv, startApi, type InProcessApi } from './harness';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

/** How long a worker has to stop after SIGTERM before `close` kills it (and reports it). */
const STOP_GRACE_MS = 30_000;

/**
 * The API in this process and worker processes built as deployed, over a database, a Redis key
 * prefix, a sandbox directory and a scripted model of their own: what the tests that kill, stall or
 * cut off workers run against.
 */
export interface WorkerStack {
  db: TestDatabase;
  model: ScriptedModel;
  api: InProcessApi;
  redisKeyPrefix: string;
  /** The environment the API and every worker share. */
  env: Record<string, string>;
  /** Every worker started so far, live or not, in order. */
  workers: WorkerProcess[];
  /** Starts one more worker, with `env` on top of the shared environment; resolves once it runs. */
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** Sends a user.message. */
  send(sessionId: string, content: string): Promise<unknown>;
  /** Every event of the session, in order. */
  events(sessionId: string): Promise<any[]>;
  /** The live worker that started the session's turn job. */
  ownerOf(sessionId: string, timeoutMs?: number): Promise<WorkerProcess>;
  /** Waits until the session's last event is a session.status_idle (the turn ended, wherever it ran); returns the events. */
  turnEnded(sessionId: string, timeoutMs?: number): Promise<any[]>;
  sql<T = any>(query: string, params?: unknown[]): Promise<T[]>;
  /**
   * Stops the workers (SIGTERM, SIGKILL after STOP_GRACE_MS), the API and the model, and removes the
   * database and sandboxes; rejects afterwards if a worker had to be killed.
   */
  close(): Promise<void>;
}

export interface WorkerStackOptions {
  /** How many workers to start with the shared environment. */
  workers: number;
  /** On top of the stack's environment (stackEnv), for the API and every worker. */
  env?: Record<string, string>;
  model?: ScriptedModelOptions;
}

/** Starts a worker stack over a fresh database named after `databaseName`. */
export async function startWorkerStack(databaseName: string, options: WorkerStackOptions): Promise<WorkerStack> {
  const db = await createTestDatabase(databaseName);
  const model = await startScriptedModel({ models: [MODEL], ...options.model });
  const sandboxDir = await realpath(await mkdtemp(path.join(tmpdir(), 'wk-')));
  const redisKeyPrefix = testRedisPrefix();
  const env = { ...stackEnv(db, redisKeyPrefix, sandboxDir, options.env), STRATUS_MODEL_PROVIDERS: scriptedProviders(model) };
  // The API's model catalog is read from the process environment, as in a deployment.
  process.env.STRATUS_MODEL_PROVIDERS = env.STRATUS_MODEL_PROVIDERS;
  const api = await startApi(env);
  const workers: WorkerProcess[] = [];
  const events = (sessionId: string) => allEvents(api.stratus, sessionId);

  const stack: WorkerStack = {
    db,
    model,
    api,
    redisKeyPrefix,
    env,
    workers,
    async startWorker(extra = {}) {
      const worker = await startWorkerProcess({ ...env, ...extra });
      workers.push(worker);
      return worker;
    },
    send: (sessionId, content) => api.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content }] }),
    events,
    ownerOf: (sessionId, timeoutMs = 60_000) =>
      eventually(async () => workers.find((w) => w.child.exitCode === null && w.started.has(sessionId)), timeoutMs, `the worker running ${sessionId}`),
    turnEnded: (sessionId, timeoutMs = 90_000) =>
      eventually(
        async () => {
          const all = await events(sessionId);
          return all.at(-1)?.type === 'session.status_idle' ? all : undefined;
        },
        timeoutMs,
        `the turn of ${sessionId} to end`,
      ),
    sql: <T>(query: string, params?: unknown[]) => sql<T>(db.url, query, params),
    async close() {
      const killed = await stopWorkers(workers);
      await api.app.close();
      await model.close();
      await db.drop();
      await removeSandboxBase(sandboxDir);
      delete process.env.STRATUS_MODEL_PROVIDERS;
      if (killed.length > 0) throw new Error(`worker(s) ${killed.join(', ')} did not stop within ${STOP_GRACE_MS} ms of SIGTERM`);
    },
  };
  await Promise.all(Array.from({ length: options.workers }, () => stack.startWorker()));
  return stack;
}

/** SIGTERMs the live workers and waits for them; returns the pids of those that had to be SIGKILLed. */
async function stopWorkers(workers: WorkerProcess[]): Promise<number[]> {
  const killed: number[] = [];
  await Promise.all(
    workers.map(async (worker) => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        // A SIGSTOPped worker would never act on SIGTERM.
        worker.child.kill('SIGCONT');
        worker.child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const stopped = await Promise.race([worker.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS)))]);
        clearTimeout(timer);
        if (!stopped) {
          killed.push(worker.child.pid!);
          worker.child.kill('SIGKILL');
        }
      }
      await worker.exited;
    }),
  );
  return killed;
}

/** Asserts what makes a log trustworthy after a takeover or a fault: a gap-free sequence, each dedupe key once. */
export async function expectCleanLog(stack: WorkerStack, sessionId: string): Promise<void> {
  const rows = await stack.sql<{ seq: number; dedupe_key: string | null }>('SELECT seq, dedupe_key FROM events WHERE session_id = $1 ORDER BY seq', [sessionId]);
  expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
  const keys = rows.map((r) => r.dedupe_key).filter((k) => k !== null);
  expect(new Set(keys).size).toBe(keys.length);
}
