import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, createLogger, parseServerEnv } from '@stratus/nest-common';
import { GatewayAppModule } from '../../src/gateway.module';
import { parseGatewayEnv } from '../../src/config/gateway-env';
import type { Fixture } from './fixture';

/** A real gateway on a random port over the fixture's database and Redis, in this process. */
export interface TestGateway {
  url: string;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

export async function startGateway(fixture: Fixture, env: Record<string, string> = {}): Promise<TestGateway> {
  const all = {
    DATABASE_URL: fixture.db.url,
    REDIS_URL: fixture.redisUrl,
    REDIS_KEY_PREFIX: fixture.redisKeyPrefix,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_REQUESTS: '0',
    ...env,
  };
  const app = await createHttpApp(GatewayAppModule.forRoot(parseServerEnv(all), parseGatewayEnv(all)), { bodyLimit: 1024 * 1024, logger: createLogger('silent') });
  await app.init();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, app, close: () => app.close() };
}

/** The stream route of a session. */
export const streamPath = (sessionId: string) => `/api/v1/cloud/sessions/${sessionId}/events/stream`;

/** TCP connections the gateway holds: a stream's socket is gone once the gateway has let go of it. */
export function openConnections(gateway: TestGateway): Promise<number> {
  return new Promise((resolve, reject) => gateway.app.getHttpServer().getConnections((error, count) => (error ? reject(error) : resolve(count))));
}
