import { eventually, startOwnRedis, startTcpProxy, type OwnRedis, type TcpProxy } from '@stratus/testing';
import { createFixture, type Fixture } from './support/fixture';
import { spawnGateway, stopGateway, type GatewayProcess } from './support/gateway-process';
import { readWithSdk, type SdkReader } from './support/sdk-reader';
import { openRaw, type RawStream } from './support/sse-reader';

/**
 * How long PostgreSQL stays unreachable. 30 s is the outage the gateway must outlive; a shorter one
 * exercises the same paths (every query in the window fails, the pool's connections are dropped and
 * re-opened after), so `GATEWAY_FAULT_OUTAGE_MS` can shorten it on a slow machine.
 */
const OUTAGE_MS = Number(process.env.GATEWAY_FAULT_OUTAGE_MS ?? 30_000);

// A gateway as a real process, reaching PostgreSQL through a TCP proxy the test cuts and a Redis of
// the test's own that it restarts; the fixture appends events as the API and the worker do, directly.
let fx: Fixture;
let redis: OwnRedis;
let proxy: TcpProxy;
let gateway: GatewayProcess;
let token: string;
let workspaceId: string;
const streams: RawStream[] = [];
const readers: SdkReader[] = [];

beforeAll(async () => {
  redis = await startOwnRedis();
  fx = await createFixture({ redisUrl: redis.url });
  proxy = await startTcpProxy(Number(new URL(fx.db.url).port || 5432));
  const proxied = new URL(fx.db.url);
  proxied.port = String(proxy.port);
  // Slow reconciliation: what repairs the streams must be the gateway's own recovery, not a tick that happens to pass.
  gateway = await spawnGateway(fx, { DATABASE_URL: proxied.toString(), GATEWAY_RECONCILE_INTERVAL_MS: '600000', GATEWAY_RETRY_MS: '100' });
  ({ workspaceId, token } = await fx.newWorkspace());
}, 60_000);

afterAll(async () => {
  for (const stream of streams) stream.close();
  await Promise.all(readers.map((reader) => reader.stop()));
  await stopGateway(gateway);
  await proxy?.close();
  await fx?.close();
  await redis?.kill();
});

/** A raw stream (no client-side resume) that the test resumes by hand with Last-Event-ID when it ends. */
async function open(sessionId: string, lastEventId?: string): Promise<RawStream> {
  const stream = await openRaw(gateway.url, sessionId, token, lastEventId === undefined ? {} : { headers: { 'last-event-id': lastEventId } });
  streams.push(stream);
  return stream;
}

/**
 * The session's events as a client following the SSE rules gets them: from `first` and, each time a
 * stream ends, from a new one resumed at the last id received (Last-Event-ID), until all are there.
 */
async function readAll(sessionId: string, first: RawStream): Promise<string[]> {
  const expected = (await fx.tableIds(sessionId)).length;
  const segments = [first];
  const received = () => segments.flatMap((stream) => stream.ids);
  let nextAttempt = 0;
  await eventually(
    async () => {
      if (received().length >= expected) return true;
      const current = segments.at(-1)!;
      if (current.ended && Date.now() >= nextAttempt) {
        nextAttempt = Date.now() + 200;
        const resumed = await open(sessionId, received().at(-1));
        // Refused while the gateway recovers (a 503 is a clean answer): asked again shortly.
        if (resumed.status === 200) segments.push(resumed);
      }
      return false;
    },
    OUTAGE_MS + 60_000,
    `${expected} events of ${sessionId} (have ${received().length})`,
  );
  return received();
}

/** A raw stream and an SDK reader of the session, opened once it has 3 events, both caught up with them. */
async function watch(sessionId: string): Promise<{ raw: RawStream; reader: SdkReader }> {
  await fx.append(sessionId, 3);
  const raw = await open(sessionId);
  const reader = readWithSdk(gateway.url, token, sessionId);
  readers.push(reader);
  await raw.waitForIds(3);
  await reader.waitForIds(3);
  return { raw, reader };
}

/**
 * After a fault: both readers end up with every event in the table, in order, without loss (the raw
 * one resumed by hand), and a new stream serves them all; returns the new stream.
 */
async function expectAllDelivered(sessionId: string, { raw, reader }: { raw: RawStream; reader: SdkReader }): Promise<RawStream> {
  const table = await fx.tableIds(sessionId);
  expect(await readAll(sessionId, raw)).toEqual(table);
  await reader.waitForIds(table.length, 60_000);
  expect(reader.ids).toEqual(table);
  const after = await open(sessionId);
  expect(after.status).toBe(200);
  await after.waitForIds(table.length);
  expect(after.ids).toEqual(table);
  return after;
}

describe('gateway under faults', () => {
  it(`outlives a ${OUTAGE_MS / 1000} s PostgreSQL outage: streams carry on or resume without loss, new streams work after`, async () => {
    const sessionId = await fx.newSession(workspaceId);
    const watched = await watch(sessionId);

    await proxy.cut();
    // Stored (the fixture reaches PostgreSQL directly) and published while the gateway cannot query.
    await fx.append(sessionId, 2);
    // A new stream meanwhile: answered, never a crash or a hang (a 503, or served from what is cached).
    const during = await open(sessionId);
    expect([200, 503]).toContain(during.status);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await fx.append(sessionId, 2);
    expect(gateway.child.exitCode).toBeNull();
    await proxy.restore();

    await fx.append(sessionId, 2);
    await expectAllDelivered(sessionId, watched);
    expect(gateway.child.exitCode).toBeNull();
  }, OUTAGE_MS + 180_000);

  it('outlives a Redis restart: streams carry on or resume without loss, new streams work after', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const watched = await watch(sessionId);

    await redis.kill();
    // Committed while Redis is down: their publishes are lost, so only the gateway's recovery can deliver them.
    await fx.append(sessionId, 2);
    await redis.start();
    await fx.publisherReady();
    await fx.append(sessionId, 2);

    const after = await expectAllDelivered(sessionId, watched);
    const delivered = after.ids.length;
    // And live delivery works on the new Redis for the new stream.
    await fx.append(sessionId, 1);
    await after.waitForIds(delivered + 1);
    expect(after.ids).toEqual(await fx.tableIds(sessionId));
    expect(gateway.child.exitCode).toBeNull();
  }, 180_000);
});
