import { mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module, type DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiModule } from '@stratus/api';
import { CoreModule, createHttpApp, createLogger, SANDBOX_LIFECYCLE_PRODUCER, TokensService, TURN_PRODUCER } from '@stratus/nest-common';
import type { SandboxLifecycleProducer, SessionTurnProducer } from '@stratus/queues';
import { createTestDatabase, SANDBOX_RUNNER_ENTRY, startScriptedModel, TEST_REDIS_URL, testRedisPrefix, type ScriptedModel, type TestDatabase } from '@stratus/testing';
import { Client } from 'pg';
import { parseWorkerEnv, type WorkerEnv } from '../src/config/worker-env';
import { WorkerModule } from '../src/worker.module';


/** The model id the scripted model is configured under. */
export const MODEL = 'scripted-model';

export interface Reply<T = any> {
  status: number;
  body: T;
}

/**
 * The API and the worker in one process (as the all-in-one composes them) over a database of its own,
 * a Redis key prefix of its own and a scripted model, spoken to over real HTTP.
 */
export interface Stack {
  url: string;
  app: NestFastifyApplication;
  db: TestDatabase;
  model: ScriptedModel;
  env: WorkerEnv;
  token: string;
  request<T = any>(method: string, route: string, body?: unknown): Promise<Reply<T>>;
  /** Creates an agent (scripted model, all built-in tools by default), an environment and a session. */
  session(options?: { agent?: Record<string, unknown>; environment?: Record<string, unknown>; session?: Record<string, unknown> }): Promise<string>;
  send(sessionId: string, ...events: Record<string, unknown>[]): Promise<Reply>;
  /** Every event of the session, in order. */
  events(sessionId: string): Promise<any[]>;
  /** Waits until the session has at least `count` session.status_idle events and is idle; returns its events. */
  idle(sessionId: string, count?: number, timeoutMs?: number): Promise<any[]>;
  /** Waits until an event of `type` exists (and `where` holds for it); returns the events. */
  until(sessionId: string, type: string, where?: (event: any) => boolean, timeoutMs?: number): Promise<any[]>;
  sql<T = any>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

@Module({})
class StackModule {
  static forRoot(env: WorkerEnv): DynamicModule {
    return { module: StackModule, imports: [CoreModule.forRoot(env), ApiModule, WorkerModule.register(env)] };
  }
}

/** Waits until `check` returns something other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(15);
  }
}

/** The environment a stack's processes share (database, Redis prefix, fast retries, a short sandbox path). */
export function stackEnv(db: TestDatabase, redisKeyPrefix: string, sandboxDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    AUTH_CACHE_TTL_MS: '0',
    RATE_LIMIT_REQUESTS: '0',
    MIGRATE_ON_START: 'false',
    STRATUS_SANDBOX_DIR: sandboxDir,
    STRATUS_SANDBOX_RUNNER_ENTRY: SANDBOX_RUNNER_ENTRY,
    STRATUS_MODEL_TIMEOUT_MS: '3000',
    STRATUS_MODEL_IDLE_TIMEOUT_MS: '1500',
    STRATUS_MODEL_RETRY_BASE_MS: '20',
    STRATUS_MODEL_RETRY_MAX_MS: '100',
    STRATUS_MODEL_MAX_RETRIES: '2',
    STRATUS_TURN_MAX_ITERATIONS: '4',
    STRATUS_TURN_RECOVERY_INTERVAL_MS: '0',
    STRATUS_SANDBOX_RECONCILE_INTERVAL_MS: '0',
    STRATUS_WORKER_SHUTDOWN_GRACE_MS: '0',
    ...overrides,
  };
}

/** The provider configuration that points the model catalog at the scripted model. */
export function scriptedProviders(model: ScriptedModel): string {
  return JSON.stringify([{ name: 'scripted', base_url: model.baseURL, models: [MODEL] }]);
}

export async function startStack(overrides: Record<string, string> = {}): Promise<Stack> {
  const db = await createTestDatabase('stratus_worker');
  const model = await startScriptedModel({ models: [MODEL] });
  const sandboxDir = await realpath(await mkdtemp(path.join(tmpdir(), 'wk-')));
  // The model catalog is read from the process environment, as in a deployment.
  process.env.STRATUS_MODEL_PROVIDERS = scriptedProviders(model);
  const env = parseWorkerEnv(stackEnv(db, testRedisPrefix(), sandboxDir, overrides));
  const app = await createHttpApp(StackModule.forRoot(env), { bodyLimit: env.BODY_LIMIT_BYTES, logger: createLogger('silent') });
  await app.init();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1/cloud`;
  const tokens = app.get(TokensService);
  const token = (await tokens.issue(await tokens.createWorkspace('test'), 'test')).secret;

  const request = async <T = any>(method: string, route: string, body?: unknown): Promise<Reply<T>> => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const created = async (route: string, body: unknown) => {
    const reply = await request('POST', route, body);
    if (reply.status !== 201) throw new Error(`POST ${route}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.id as string;
  };
  const events = async (sessionId: string) => {
    const all: any[] = [];
    let after = '';
    for (;;) {
      const page = await request('GET', `/sessions/${sessionId}/events?limit=100${after}`);
      if (page.status !== 200) throw new Error(`events: ${page.status} ${JSON.stringify(page.body)}`);
      all.push(...page.body.data);
      if (!page.body.has_more) return all;
      after = `&after_id=${page.body.last_id}`;
    }
  };

  const stack: Stack = {
    url,
    app,
    db,
    model,
    env,
    token,
    request,
    async session(options = {}) {
      const agent = await created('/agents', { name: 'agent', model: MODEL, tools: [{ type: 'agent_toolset_20260401' }], ...options.agent });
      const environment = await created('/environments', { name: `env-${Math.random().toString(36).slice(2)}`, ...options.environment });
      return created('/sessions', { agent, environment_id: environment, ...options.session });
    },
    async send(sessionId, ...sent) {
      const reply = await request('POST', `/sessions/${sessionId}/events`, { events: sent });
      if (reply.status !== 202) throw new Error(`send: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply;
    },
    events,
    idle: (sessionId, count = 1, timeoutMs = 15_000) =>
      eventually(
        async () => {
          const all = await events(sessionId);
          const session = await request('GET', `/sessions/${sessionId}`);
          return all.filter((e) => e.type === 'session.status_idle').length >= count && session.body.status === 'idle' ? all : undefined;
        },
        timeoutMs,
        `${count} session.status_idle event(s) of ${sessionId}`,
      ),
    until: (sessionId, type, where = () => true, timeoutMs = 15_000) =>
      eventually(
        async () => {
          const all = await events(sessionId);
          return all.some((e) => e.type === type && where(e)) ? all : undefined;
        },
        timeoutMs,
        `a ${type} event of ${sessionId}`,
      ),
    async sql(query, params = []) {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        return (await client.query(query, params)).rows;
      } finally {
        await client.end();
      }
    },
    async close() {
      const producer = app.get<SessionTurnProducer>(TURN_PRODUCER);
      await producer.queue.obliterate({ force: true }).catch(() => undefined);
      await app.get<SandboxLifecycleProducer>(SANDBOX_LIFECYCLE_PRODUCER).queue.obliterate({ force: true }).catch(() => undefined);
      await app.close();
      await model.close();
      await db.drop();
      await rm(sandboxDir, { recursive: true, force: true });
      delete process.env.STRATUS_MODEL_PROVIDERS;
    },
  };
  return stack;
}

/** The events of one type. */
export const ofType = (events: any[], type: string) => events.filter((e) => e.type === type);

/** The text of an event's content blocks. */
export const textOf = (event: any): string => (event?.content ?? []).map((block: { text: string }) => block.text).join('');

/** Pids of live processes with `marker` among their arguments (a command a tool call started). */
export async function pidsWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const state = (await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.[0];
    if (cmdline.split('\0').includes(marker) && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}
