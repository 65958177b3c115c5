import { sessionChannel } from '@stratus/events';
import { eventually, startOwnRedis, type OwnRedis } from '@stratus/testing';
import { Redis } from 'ioredis';
import { createFixture, type Fixture } from './support/fixture';
import { openConnections, startGateway, type TestGateway } from './support/gateway-app';
import { openRaw, type RawStream } from './support/sse-reader';

// A Redis of the test's own, which it kills and starts again while streams are open.
let redis: OwnRedis;
let fx: Fixture;
let gateway: TestGateway;
let admin: Redis;
let token: string;
let workspaceId: string;

beforeAll(async () => {
  redis = await startOwnRedis();
  fx = await createFixture({ redisUrl: redis.url });
  // Reconciliation is slow here: what repairs the streams must be the resubscription.
  gateway = await startGateway(fx, { GATEWAY_RECONCILE_INTERVAL_MS: '600000' });
  admin = new Redis(redis.url, { retryStrategy: () => 50 });
  admin.on('error', () => undefined);
  ({ workspaceId, token } = await fx.newWorkspace());
});
afterAll(async () => {
  admin.disconnect();
  await gateway.close();
  await fx.close();
  await redis.kill();
});

/** Subscribers per channel, and how many connections to Redis are subscribers: Redis's own view. */
async function subscriptions(...channels: string[]): Promise<{ perChannel: number[]; subscriberConnections: number }> {
  const numsub = (await admin.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
  const clients = (await admin.call('CLIENT', 'LIST')) as string;
  return {
    perChannel: numsub.filter((_, i) => i % 2 === 1).map(Number),
    subscriberConnections: clients.split('\n').filter((line) => /\bsub=[1-9]/.test(line)).length,
  };
}

describe('Redis restarted mid-stream', () => {
  it('multiplexes every session on one subscriber connection, resubscribes after the restart and repairs every stream', async () => {
    const [one, two] = [await fx.newSession(workspaceId), await fx.newSession(workspaceId)];
    const streams: [RawStream, string][] = [
      [await openRaw(gateway.url, one, token), one],
      [await openRaw(gateway.url, one, token), one],
      [await openRaw(gateway.url, two, token), two],
    ];
    const allDelivered = () => Promise.all(streams.map(async ([stream, sessionId]) => stream.waitForIds((await fx.tableIds(sessionId)).length)));
    await fx.append(one, 3);
    await fx.append(two, 3);
    await allDelivered();
    expect(await subscriptions(sessionChannel(fx.redisKeyPrefix, one), sessionChannel(fx.redisKeyPrefix, two))).toEqual({ perChannel: [1, 1], subscriberConnections: 1 });

    await redis.kill();
    // Appended while Redis is down: committed, but their publishes are lost.
    await fx.append(one, 4);
    await fx.append(two, 2);
    await redis.start();
    // Nothing else is appended: only the repair after the resubscription can deliver them.
    await allDelivered();
    await eventually(async () => (await subscriptions(sessionChannel(fx.redisKeyPrefix, one))).perChannel[0] === 1, 10_000, 'the subscriptions to be back');
    expect(await subscriptions(sessionChannel(fx.redisKeyPrefix, one), sessionChannel(fx.redisKeyPrefix, two))).toEqual({ perChannel: [1, 1], subscriberConnections: 1 });

    await fx.publisherReady();
    await fx.append(one, 2);
    await allDelivered();
    for (const [stream, sessionId] of streams) expect(stream.ids).toEqual(await fx.tableIds(sessionId));

    // Subscriptions are reference-counted: the channel goes when its last stream does.
    const connections = await openConnections(gateway);
    streams[0]![0].close();
    await eventually(async () => (await openConnections(gateway)) === connections - 1, 10_000, 'the gateway to see the stream closed');
    expect((await subscriptions(sessionChannel(fx.redisKeyPrefix, one))).perChannel).toEqual([1]);
    streams[1]![0].close();
    await eventually(async () => (await subscriptions(sessionChannel(fx.redisKeyPrefix, one))).perChannel[0] === 0, 10_000, 'the unsubscription');
    expect(await subscriptions(sessionChannel(fx.redisKeyPrefix, one), sessionChannel(fx.redisKeyPrefix, two))).toEqual({ perChannel: [0, 1], subscriberConnections: 1 });
    streams[2]![0].close();
  });
});
