import { TEST_REDIS_URL, testRedisPrefix } from '@stratus/testing';
import { Redis } from 'ioredis';
import { InvalidJobPayloadError, parseJobPayload, parseTurnControl, publishTurnControl, queuePrefix, SandboxLifecycleProducer, sandboxReapJobId, SessionTurnProducer, turnControlChannel, WebhookDeliveryProducer, webhookDeliveryJobId } from '../src';

// Integration tier: real Redis, a key prefix of this file's own.
const prefix = testRedisPrefix();
let redis: Redis;
let producer: SessionTurnProducer;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
  producer = new SessionTurnProducer(redis, prefix);
});
afterAll(async () => {
  await producer.queue.obliterate({ force: true });
  await producer.close();
  redis.disconnect();
});

describe('SessionTurnProducer', () => {
  it('adds one job per wake-up, named after the session and the waking event, under the deployment prefix', async () => {
    await producer.enqueue('sess_a', 3);
    await producer.enqueue('sess_a', 3);
    await producer.enqueue('sess_a', 7);
    const jobs = await producer.queue.getJobs(['waiting']);
    expect(jobs.map((job) => job.id).sort()).toEqual(['sess_a-3', 'sess_a-7']);
    expect(jobs.find((job) => job.id === 'sess_a-3')!.data).toEqual({ sessionId: 'sess_a', wakeSeq: 3, enqueuedAt: expect.any(Number) });
    expect(await redis.exists(`${queuePrefix(prefix)}:session-turns:sess_a-3`)).toBe(1);
  });

  it('gives a recovery job an id of its own, beside a job of the same wake-up', async () => {
    await producer.enqueue('sess_b', 5);
    await producer.enqueueRecovery('sess_b', 5);
    const ids = (await producer.queue.getJobs(['waiting'])).map((job) => job.id).filter((id) => id!.startsWith('sess_b'));
    expect(ids).toHaveLength(2);
    expect(ids).toContain('sess_b-5');
  });
});

describe('payloads and control messages', () => {
  it('refuses a job payload that does not match its queue', () => {
    expect(parseJobPayload('session-turns', { sessionId: 's', wakeSeq: 1 })).toEqual({ sessionId: 's', wakeSeq: 1 });
    expect(() => parseJobPayload('session-turns', { sessionId: 's' })).toThrow(InvalidJobPayloadError);
  });

  it('publishes control messages on the deployment\'s channel and parses only well-formed ones', async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    try {
      const received = new Promise<string>((resolve) => subscriber.once('message', (_channel, raw: string) => resolve(raw)));
      await subscriber.subscribe(turnControlChannel(prefix));
      expect(await publishTurnControl(redis, prefix, { sessionId: 'sess_c', action: 'cancel', at: 1 })).toBe(1);
      expect(parseTurnControl(await received)).toEqual({ sessionId: 'sess_c', action: 'cancel', at: 1 });
    } finally {
      subscriber.disconnect();
    }
    expect(parseTurnControl('{"sessionId":"s","action":"explode"}')).toBeUndefined();
    expect(parseTurnControl('not json')).toBeUndefined();
  });
});

describe('SandboxLifecycleProducer', () => {
  it('keeps one pending reap per session, counted from the latest schedule', async () => {
    const lifecycle = new SandboxLifecycleProducer(redis, prefix);
    try {
      await lifecycle.scheduleReap('sess_r', 60_000);
      const first = await lifecycle.queue.getJob(sandboxReapJobId('sess_r'));
      await lifecycle.scheduleReap('sess_r', 120_000);
      const delayed = await lifecycle.queue.getJobs(['delayed']);
      expect(delayed.map((job) => job.id)).toEqual([sandboxReapJobId('sess_r')]);
      expect(delayed[0]!.data).toEqual({ action: 'reap', sessionId: 'sess_r' });
      expect(delayed[0]!.opts.delay).toBe(120_000);
      expect(delayed[0]!.timestamp).toBeGreaterThanOrEqual(first!.timestamp);
      expect(() => parseJobPayload('sandbox-lifecycle', { action: 'reap' })).toThrow(InvalidJobPayloadError);
      // Nothing starts a sandbox ahead of a turn any more: an old API's provision job is refused, never run.
      expect(() => parseJobPayload('sandbox-lifecycle', { action: 'provision', sessionId: 'sess_r' })).toThrow(InvalidJobPayloadError);
    } finally {
      await lifecycle.queue.obliterate({ force: true });
      await lifecycle.close();
    }
  });
});

describe('WebhookDeliveryProducer', () => {
  it('adds one job per attempt of a delivery, whoever hands it out', async () => {
    const webhooks = new WebhookDeliveryProducer(redis, prefix);
    try {
      await webhooks.enqueue('whe_a', 1);
      await webhooks.enqueue('whe_a', 1);
      await webhooks.enqueue('whe_a', 2);
      const jobs = await webhooks.queue.getJobs(['waiting']);
      expect(jobs.map((job) => job.id).sort()).toEqual([webhookDeliveryJobId('whe_a', 1), webhookDeliveryJobId('whe_a', 2)]);
      expect(jobs.find((job) => job.id === webhookDeliveryJobId('whe_a', 1))!.data).toEqual({ deliveryId: 'whe_a', attempt: 1 });
      expect(() => parseJobPayload('webhook-delivery', { deliveryId: 'whe_a', attempt: 0 })).toThrow(InvalidJobPayloadError);
    } finally {
      await webhooks.queue.obliterate({ force: true });
      await webhooks.close();
    }
  });
});
