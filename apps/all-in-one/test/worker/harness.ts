import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiAppModule, ApiModule } from '@stratus/api';
import { CoreModule, createHttpApp, createLogger, parseServerEnv, SANDBOX_LIFECYCLE_PRODUCER, TokensService, TURN_PRODUCER } from '@stratus/nest-common';
import type { SandboxLifecycleProducer, SessionTurnProducer } from '@stratus/queues';
import { Stratus } from '@stratus/sdk';
import { createTestDatabase, eventually, removeSandboxBase, SANDBOX_RUNNER_ENTRY, sql, startScriptedModel, TEST_REDIS_URL, testRedisPrefix, type ScriptedModel, type TestDatabase } from '@stratus/testing';
import { parseWorkerEnv, WorkerModule, type WorkerEnv } from '@stratus/worker';


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
  /** The SDK client of the stack's API: how the tests act as an integrator would. */
  stratus: Stratus;
  /**
   * Raw HTTP, for replies whose status code a test checks as such.
   */
  request<T = any>(method: string, route: string, body?: unknown): Promise<Reply<T>>;
  /** Creates an agent (scripted model, all built-in tools by default), an environment and a session. */
  session(options?: { agent?: Record<string, unknown>; environment?: Record<string, unknown>; session?: Record<string, unknown> }): Promise<string>;
  /** Sends user events; resolves with them as stored. */
  send(sessionId: string, ...events: Record<string, unknown>[]): Promise<{ data: any[] }>;
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

/** An SDK client of a test API, without retries: a test sees each failure as it happens. */
export function apiClient(url: string, token: string): Stratus {
  return new Stratus({ baseURL: url, token, maxRetries: 0 });
}

/** Creates an agent on the scripted model (all built-in tools unless `agent` says otherwise), an environment and a session; returns the session's id. */
export async function newSession(stratus: Stratus, options: { agent?: Record<string, unknown>; environment?: Record<string, unknown>; session?: Record<string, unknown> } = {}): Promise<string> {
  const agent = await stratus.agents.create({ name: 'agent', model: MODEL, tools: [{ type: 'agent_toolset_20260401' }], ...options.agent });
  const environment = await stratus.environments.create({ name: `env-${Math.random().toString(36).slice(2)}`, ...options.environment });
  return (await stratus.sessions.create({ agent: agent.id, environment_id: environment.id, ...options.session })).id;
}

/** Every event of the session, in order, page after page. */
export async function allEvents(stratus: Stratus, sessionId: string): Promise<any[]> {
  const all: any[] = [];
  for await (const event of stratus.sessions.events.list(sessionId, { limit: 100 })) all.push(event);
  return all;
}

/** The API alone in this process (its workers run elsewhere), with a token of a fresh workspace. */
export interface InProcessApi {
  app: NestFastifyApplication;
  url: string;
  token: string;
  stratus: Stratus;
}

/** Starts the API in this process on a random port with `env` (a stack's environment). */
export async function startApi(env: Record<string, string>): Promise<InProcessApi> {
  const serverEnv = parseServerEnv(env);
  const app = await createHttpApp(ApiAppModule.forRoot(serverEnv), { bodyLimit: serverEnv.BODY_LIMIT_BYTES, logger: createLogger('silent') });
  await app.init();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1/cloud`;
  const tokens = app.get(TokensService);
  const token = (await tokens.issue(await tokens.createWorkspace('test'), 'test')).secret;
  return { app, url, token, stratus: apiClient(url, token) };
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
    // Generous: a loaded CI machine can hold a big request past a short timeout, and the retry then
    // changes what a test sees. The suite that tests model time-outs sets short ones itself.
    STRATUS_MODEL_TIMEOUT_MS: '60000',
    STRATUS_MODEL_IDLE_TIMEOUT_MS: '30000',
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
  const stratus = apiClient(url, token);

  const request = async <T = any>(method: string, route: string, body?: unknown): Promise<Reply<T>> => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const events = (sessionId: string) => allEvents(stratus, sessionId);

  const stack: Stack = {
    url,
    app,
    db,
    model,
    env,
    token,
    stratus,
    request,
    session: (options = {}) => newSession(stratus, options),
    send: (sessionId, ...sent) => stratus.sessions.events.send(sessionId, { events: sent } as Parameters<Stratus['sessions']['events']['send']>[1]),
    events,
    idle: (sessionId, count = 1, timeoutMs = 15_000) =>
      eventually(
        async () => {
          const all = await events(sessionId);
          const session = await stratus.sessions.retrieve(sessionId);
          return all.filter((e) => e.type === 'session.status_idle').length >= count && session.status === 'idle' ? all : undefined;
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
    sql: <T>(query: string, params?: unknown[]) => sql<T>(db.url, query, params),
    async close() {
      const producer = app.get<SessionTurnProducer>(TURN_PRODUCER);
      await producer.queue.obliterate({ force: true }).catch(() => undefined);
      await app.get<SandboxLifecycleProducer>(SANDBOX_LIFECYCLE_PRODUCER).queue.obliterate({ force: true }).catch(() => undefined);
      await app.close();
      await model.close();
      await db.drop();
      await removeSandboxBase(sandboxDir);
      delete process.env.STRATUS_MODEL_PROVIDERS;
    },
  };
  return stack;
}

/** The events of one type. */
export const ofType = (events: any[], type: string) => events.filter((e) => e.type === type);

/** The text of an event's content blocks. */
export const textOf = (event: any): string => (event?.content ?? []).map((block: { text: string }) => block.text).join('');
