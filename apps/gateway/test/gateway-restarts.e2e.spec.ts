import { eventually } from '@stratus/testing';
import { startBalancer, type Balancer } from './support/balancer';
import { createFixture, type Fixture } from './support/fixture';
import { spawnGateway, stopGateway, type GatewayProcess } from './support/gateway-process';
import { readWithSdk } from './support/sdk-reader';
import { openRaw } from './support/sse-reader';

// Gateways run as real processes behind a TCP balancer (as behind a Kubernetes Service); the
// client is the SDK's resumable stream, which knows only the balancer's URL.
let fx: Fixture;
let token: string;
let workspaceId: string;
const gateways: GatewayProcess[] = [];
let balancer: Balancer | undefined;

beforeAll(async () => {
  fx = await createFixture();
  ({ workspaceId, token } = await fx.newWorkspace());
});
afterEach(async () => {
  await balancer?.close();
  await Promise.all(gateways.splice(0).map(stopGateway));
});
afterAll(() => fx.close());

async function spawnPair(env: Record<string, string> = {}): Promise<[GatewayProcess, GatewayProcess]> {
  // Each is kept for afterEach as soon as it runs, so a test that times out meanwhile stops it too.
  const started = (gateway: GatewayProcess) => (gateways.push(gateway), gateway);
  const pair = await Promise.all([spawnGateway(fx, env).then(started), spawnGateway(fx, env).then(started)]);
  balancer = await startBalancer(pair.map((gateway) => gateway.port));
  return pair;
}

/** Appends `count` events one by one, running `midway` after `at` of them. */
async function appendWhile(sessionId: string, count: number, at: number, midway: () => Promise<void>): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (i === at) await midway();
    await fx.append(sessionId);
  }
}

describe('gateway restarts', () => {
  it('a client whose gateway is killed mid-stream resumes on the other one without losing or repeating an event', async () => {
    const [first] = await spawnPair();
    const sessionId = await fx.newSession(workspaceId);
    await fx.append(sessionId, 20);
    const reader = readWithSdk(balancer!.url, token, sessionId);
    await reader.waitForIds(20);
    expect(balancer!.routed).toEqual([0]);

    await appendWhile(sessionId, 60, 20, async () => {
      first.child.kill('SIGKILL');
      await first.exited;
    });
    const table = await fx.tableIds(sessionId);
    await reader.waitForIds(table.length);
    await reader.stop();
    expect(reader.ids).toEqual(table);
    expect(reader.reconnects.length).toBeGreaterThanOrEqual(1);
    expect(balancer!.routed.at(-1)).toBe(1);
  });

  it('on SIGTERM a gateway tells its clients to retry, ends their streams and exits; they resume on the other one', async () => {
    const [first] = await spawnPair({ GATEWAY_RETRY_MS: '150' });
    const sessionId = await fx.newSession(workspaceId);
    await fx.append(sessionId, 5);
    const reader = readWithSdk(balancer!.url, token, sessionId);
    const direct = await openRaw(first.url, sessionId, token);
    await reader.waitForIds(5);
    await direct.waitForIds(5);
    expect(balancer!.routed).toEqual([0]);

    await appendWhile(sessionId, 30, 10, async () => {
      first.child.kill('SIGTERM');
      // Exiting at all proves the streams were closed: an open stream would hold the HTTP server.
      expect(await first.exited).toEqual({ code: 0, signal: null });
    });
    expect(direct.retries).toEqual([150]);
    await eventually(async () => direct.ended, 10_000, 'the direct stream to end');
    const table = await fx.tableIds(sessionId);
    expect(direct.ids).toEqual(table.slice(0, direct.ids.length));
    await reader.waitForIds(table.length);
    await reader.stop();
    expect(reader.ids).toEqual(table);
    expect(balancer!.routed.slice(1)).toContain(1);
  });
});
