import { eventually } from '@stratus/testing';
import { TokenStatusRepository } from '../src/limits/token-status.repository';
import { createFixture, type Fixture } from './support/fixture';
import { startGateway, type TestGateway } from './support/gateway-app';
import { spawnGateway, stopGateway, type GatewayProcess } from './support/gateway-process';
import { openRaw, type RawStream } from './support/sse-reader';

// Caps on concurrent streams, token revocation and draining, over real SSE connections to real
// gateways sharing one database and one Redis prefix (as the gateways of one deployment do).
let fx: Fixture;
const gateways: TestGateway[] = [];
const processes: GatewayProcess[] = [];
const opened: RawStream[] = [];

async function gatewayWith(env: Record<string, string>): Promise<TestGateway> {
  const gateway = await startGateway(fx, env);
  gateways.push(gateway);
  return gateway;
}

async function open(on: { url: string }, sessionId: string, token: string): Promise<RawStream> {
  const stream = await openRaw(on.url, sessionId, token);
  opened.push(stream);
  return stream;
}

/** Opens streams until one is accepted (earlier attempts answer 429 while a slot is still held). */
async function openOnceAccepted(on: { url: string }, sessionId: string, token: string, timeoutMs?: number): Promise<RawStream> {
  let accepted: RawStream | undefined;
  await eventually(
    async () => {
      const stream = await open(on, sessionId, token);
      if (stream.status === 200) accepted = stream;
      else expect(stream.status).toBe(429);
      return accepted !== undefined;
    },
    timeoutMs ?? 10_000,
    'a stream to be accepted',
  );
  return accepted!;
}

function expectTooManyStreams(stream: RawStream): void {
  expect(stream.status).toBe(429);
  expect(stream.body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringMatching(/streams/) }, request_id: expect.stringMatching(/^req_/) });
  expect(Number(stream.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

beforeAll(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  for (const stream of opened.splice(0)) stream.close();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(processes.splice(0).map(stopGateway));
});
afterAll(() => fx.close());

describe('concurrent stream caps', () => {
  it('per token across gateways: one stream past the cap answers 429 with retry-after, the open ones keep receiving, a freed slot is reusable', async () => {
    const env = { GATEWAY_MAX_STREAMS_PER_TOKEN: '3' };
    const [a, b] = [await gatewayWith(env), await gatewayWith(env)];
    const { workspaceId, token } = await fx.newWorkspace();
    const other = await fx.newWorkspace();
    const sessionId = await fx.newSession(workspaceId);
    const held = [await open(a, sessionId, token), await open(a, sessionId, token), await open(b, sessionId, token)];
    expect(held.map((stream) => stream.status)).toEqual([200, 200, 200]);

    expectTooManyStreams(await open(a, sessionId, token));
    expectTooManyStreams(await open(b, sessionId, token));
    // Another token is not affected.
    expect((await open(a, await fx.newSession(other.workspaceId), other.token)).status).toBe(200);

    await fx.append(sessionId, 2);
    for (const stream of held) await stream.waitForIds(2);
    expect(held.every((stream) => !stream.ended)).toBe(true);

    held[0]!.close();
    const again = await openOnceAccepted(b, sessionId, token);
    await fx.append(sessionId);
    await again.waitForIds(3);
  });

  it('per gateway: past its own cap a gateway answers 429 with retry-after while another gateway still accepts', async () => {
    const full = await gatewayWith({ GATEWAY_MAX_STREAMS: '2' });
    const spare = await gatewayWith({});
    const first = await fx.newWorkspace();
    const second = await fx.newWorkspace();
    const third = await fx.newWorkspace();
    const sessions = [await fx.newSession(first.workspaceId), await fx.newSession(second.workspaceId), await fx.newSession(third.workspaceId)];
    const held = [await open(full, sessions[0]!, first.token), await open(full, sessions[1]!, second.token)];
    expect(held.map((stream) => stream.status)).toEqual([200, 200]);

    expectTooManyStreams(await open(full, sessions[2]!, third.token));
    expect((await open(spare, sessions[2]!, third.token)).status).toBe(200);
    await fx.append(sessions[0]!);
    await fx.append(sessions[1]!);
    await held[0]!.waitForIds(1);
    await held[1]!.waitForIds(1);
  });

  it('a gateway that dies holding slots leaks none: they expire and the token can stream again', async () => {
    const env = { GATEWAY_MAX_STREAMS_PER_TOKEN: '1', GATEWAY_RECONCILE_INTERVAL_MS: '300' };
    const dying = await spawnGateway(fx, env);
    processes.push(dying);
    const { workspaceId, token } = await fx.newWorkspace();
    const sessionId = await fx.newSession(workspaceId);
    expect((await open(dying, sessionId, token)).status).toBe(200);
    const survivor = await gatewayWith(env);
    expectTooManyStreams(await open(survivor, sessionId, token));

    dying.child.kill('SIGKILL');
    await dying.exited;
    const stream = await openOnceAccepted(survivor, sessionId, token);
    await fx.append(sessionId);
    await stream.waitForIds(1);
  });
});

describe('revoked tokens', () => {
  it("ends a revoked token's open streams on the reconcile tick; other tokens' streams carry on, and the token is refused after", async () => {
    const gateway = await gatewayWith({ GATEWAY_RECONCILE_INTERVAL_MS: '200' });
    const revoked = await fx.newWorkspace();
    const kept = await fx.newWorkspace();
    const [revokedSession, keptSession] = [await fx.newSession(revoked.workspaceId), await fx.newSession(kept.workspaceId)];
    const doomed = [await open(gateway, revokedSession, revoked.token), await open(gateway, revokedSession, revoked.token)];
    const survivor = await open(gateway, keptSession, kept.token);
    await fx.append(revokedSession);
    for (const stream of doomed) await stream.waitForIds(1);

    await fx.prisma.apiToken.updateMany({ where: { workspaceId: revoked.workspaceId }, data: { revokedAt: new Date() } });
    await eventually(async () => doomed.every((stream) => stream.ended), 10_000, "the revoked token's streams to end");
    await fx.append(keptSession, 2);
    await survivor.waitForIds(2);
    expect(survivor.ended).toBe(false);
    // Once the auth cache forgets the token, a reconnection is refused. Until then a stream may be
    // accepted and ended on the next tick, even before its headers are out (the fetch then fails).
    await eventually(async () => (await open(gateway, revokedSession, revoked.token).catch(() => undefined))?.status === 401, 10_000, 'the token to be refused');
  });

  it('a stream opened while the revocation check asks PostgreSQL is not ended by that check', async () => {
    const gateway = await gatewayWith({ GATEWAY_RECONCILE_INTERVAL_MS: '100' });
    // A hook on the real repository: the next check stops before its query until the test lets it go.
    const tokens = gateway.app.get(TokenStatusRepository);
    const query = tokens.activeTokenIds.bind(tokens);
    let asked!: (tokenIds: string[]) => void;
    const checkAsked = new Promise<string[]>((resolve) => (asked = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let armed = false;
    tokens.activeTokenIds = async (tokenIds) => {
      if (armed) {
        armed = false;
        asked(tokenIds);
        await released;
      }
      return query(tokenIds);
    };

    const revoked = await fx.newWorkspace();
    const late = await fx.newWorkspace();
    const [revokedSession, lateSession] = [await fx.newSession(revoked.workspaceId), await fx.newSession(late.workspaceId)];
    const doomed = await open(gateway, revokedSession, revoked.token);
    await fx.append(revokedSession);
    await doomed.waitForIds(1);

    armed = true;
    const askedAbout = await checkAsked;
    expect(askedAbout).toHaveLength(1);
    // Opened, and live, while the check is under way: its token is not among those asked about.
    const opened = await open(gateway, lateSession, late.token);
    expect(opened.status).toBe(200);
    await fx.append(lateSession);
    await opened.waitForIds(1);
    await fx.prisma.apiToken.updateMany({ where: { workspaceId: revoked.workspaceId }, data: { revokedAt: new Date() } });
    release();

    // The check ended the revoked token's stream: it has run to its end.
    await eventually(async () => doomed.ended, 10_000, "the revoked token's stream to end");
    await fx.append(lateSession);
    await opened.waitForIds(2);
    expect(opened.ended).toBe(false);
  });
});

describe('draining', () => {
  it('on SIGTERM /readyz answers 503 and new streams get 503, while open streams keep receiving during the drain', async () => {
    const gateway = await spawnGateway(fx, { GATEWAY_DRAIN_DELAY_MS: '600000' });
    processes.push(gateway);
    const { workspaceId, token } = await fx.newWorkspace();
    const sessionId = await fx.newSession(workspaceId);
    // Ready once its first PostgreSQL and Redis checks answer within their 2 s bound (on a loaded
    // machine a fresh process's first query can take longer, and /readyz rightly says 503 until then).
    await eventually(async () => (await fetch(`${gateway.url}/readyz`)).status === 200, 10_000, '/readyz to answer 200');
    const stream = await open(gateway, sessionId, token);
    expect(stream.status).toBe(200);

    gateway.child.kill('SIGTERM');
    let readyz: { status: number; body: unknown } | undefined;
    await eventually(async () => {
      const response = await fetch(`${gateway.url}/readyz`);
      readyz = { status: response.status, body: await response.json() };
      return response.status === 503;
    }, 10_000, '/readyz to answer 503');
    expect(readyz!.body).toMatchObject({ status: 'draining' });
    const refused = await open(gateway, sessionId, token);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });

    await fx.append(sessionId, 2);
    await stream.waitForIds(2);
    expect(stream.ended).toBe(false);
    expect(gateway.child.exitCode).toBeNull();
  });
});
