import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { createHttpApp, createLogger, httpAppOptions, parseServerEnv, type Scope, TokensService } from '@stratus/nest-common';
import { ApiAppModule } from '../src/api.module';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is, without JSON encoding. */
  raw?: string;
  headers?: Record<string, string>;
}

/** A real API on a random port over a database of its own, spoken to over real HTTP. */
export interface TestApi {
  url: string;
  app: NestFastifyApplication;
  db: TestDatabase;
  /** A token of a fresh workspace. */
  token: string;
  newWorkspaceToken(scopes?: Scope[]): Promise<string>;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  /** Runs SQL on the test database directly, to set up or inspect what the API cannot. */
  sql(query: string, params?: unknown[]): Promise<any[]>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Reach PostgreSQL through this port (a proxy the test can cut) instead of directly. */
  postgresPort?: number;
}

export async function startTestApi(env: Record<string, string> = {}, options: TestApiOptions = {}): Promise<TestApi> {
  const db = await createTestDatabase('stratus_api');
  const databaseUrl = new URL(db.url);
  if (options.postgresPort) databaseUrl.port = String(options.postgresPort);
  const parsed = parseServerEnv({
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: testRedisPrefix(),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    AUTH_CACHE_TTL_MS: '0',
    ...env,
  });
  const app = await createHttpApp(ApiAppModule.forRoot(parsed), httpAppOptions(parsed, createLogger('silent')));
  await app.init();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const tokens = app.get(TokensService);

  const newWorkspaceToken = async (scopes?: Scope[]) => {
    const workspaceId = await tokens.createWorkspace('test');
    return (await tokens.issue(workspaceId, 'test', scopes)).secret;
  };
  const token = await newWorkspaceToken();

  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const auth = options.token === undefined ? token : options.token;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${url}${path.startsWith('/api') || path.startsWith('/docs') || path.startsWith('/healthz') || path.startsWith('/readyz') ? path : `/api/v1/cloud${path}`}`, { method, headers, body });
    const text = await response.text();
    let parsedBody: unknown = text;
    try {
      parsedBody = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (an HTML page, an asset): keep the text
    }
    return { status: response.status, headers: response.headers, body: parsedBody as T };
  };

  return {
    url,
    app,
    db,
    token,
    newWorkspaceToken,
    request,
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
      await app.close();
      await db.drop();
    },
  };
}

/** Asserts the documented error envelope and returns it. */
export function expectError(reply: Reply, status: number, type: string, param?: string): void {
  expect({ status: reply.status, type: reply.body?.error?.type }).toEqual({ status, type });
  expect(reply.body.type).toBe('error');
  expect(typeof reply.body.error.message).toBe('string');
  expect(reply.body.request_id).toBe(reply.headers.get('request-id'));
  if (param !== undefined) expect(reply.body.error.param).toBe(param);
}

export const demoAgent = (overrides: Record<string, unknown> = {}) => ({ name: 'helper', model: 'stratus-demo', system: 'Be brief.', ...overrides });
export const demoEnvironment = (overrides: Record<string, unknown> = {}) => ({ name: `env-${Math.random().toString(36).slice(2, 10)}`, config: { type: 'cloud' }, ...overrides });

/** Creates an agent, an environment and a session; returns their ids. */
export async function createSession(api: TestApi, token = api.token): Promise<{ agentId: string; environmentId: string; sessionId: string }> {
  const agent = await api.request('POST', '/agents', { token, body: demoAgent() });
  const environment = await api.request('POST', '/environments', { token, body: demoEnvironment() });
  const session = await api.request('POST', '/sessions', { token, body: { agent: agent.body.id, environment_id: environment.body.id } });
  if (session.status !== 201) throw new Error(`session not created: ${JSON.stringify(session.body)}`);
  return { agentId: agent.body.id, environmentId: environment.body.id, sessionId: session.body.id };
}
