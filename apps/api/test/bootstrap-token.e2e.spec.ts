import { createLogger, parseServerEnv, startHttp, type StartedApp } from '@stratus/nest-common';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { ApiAppModule } from '../src/api.module';
import { spawnApi, stopApi, type ApiProcess } from './api-process';

// STRATUS_BOOTSTRAP_TOKEN at start-up: changing it rotates the token, and the public quickstart
// token is refused in production.

const QUICKSTART = 'pt-quickstart-local-development-token';

let db: TestDatabase;
let prefix: string;
beforeAll(async () => {
  db = await createTestDatabase('stratus_api_bootstrap');
  prefix = testRedisPrefix();
});
afterAll(() => db.drop());

async function start(bootstrapToken: string): Promise<StartedApp> {
  const env = parseServerEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', STRATUS_BOOTSTRAP_TOKEN: bootstrapToken });
  return startHttp(ApiAppModule.forRoot(env), env, createLogger('silent'));
}

async function status(started: StartedApp, token: string): Promise<number> {
  return (await fetch(`${started.url}/api/v1/cloud/agents`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe('a changed STRATUS_BOOTSTRAP_TOKEN', () => {
  it('revokes the previous bootstrap token at start-up, and a restart with the same one changes nothing', async () => {
    const first = 'pt-first-bootstrap-token-0123456789';
    const second = 'pt-second-bootstrap-token-0123456789';
    let app = await start(first);
    expect(await status(app, first)).toBe(200);
    await app.app.close();

    app = await start(second);
    expect(await status(app, second)).toBe(200);
    expect(await status(app, first)).toBe(401);
    await app.app.close();

    app = await start(second);
    expect(await status(app, second)).toBe(200);
    await app.app.close();
  });
});

describe('NODE_ENV=production', () => {
  let child: ApiProcess | undefined;
  afterEach(() => stopApi(child));

  const productionEnv = (bootstrapToken: string) => ({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    NODE_ENV: 'production',
    STRATUS_ENCRYPTION_KEY: 'a-production-key-of-at-least-32-characters',
    STRATUS_BOOTSTRAP_TOKEN: bootstrapToken,
  });

  it('refuses to start with the quickstart token, naming the variable', async () => {
    // Kept for afterEach in case it does start.
    const started = spawnApi(productionEnv(QUICKSTART)).then((process) => (child = process));
    await expect(started).rejects.toThrow(/exited \(1\)[\s\S]*STRATUS_BOOTSTRAP_TOKEN: the quickstart token from \.env\.example is public/);
  }, 120_000);

  it('starts with a token of its own', async () => {
    child = await spawnApi(productionEnv('pt-a-production-secret-0123456789abcdef'));
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
