import { newId } from '@stratus/db';
import { TEST_REDIS_URL } from '@stratus/testing';
import { Redis } from 'ioredis';
import { deltaChannel, sessionChannel } from '../src';
import { newSession, useEventsDatabase } from './fixture';

// Integration tier: real PostgreSQL and Redis.
const fx = useEventsDatabase('stratus_events');
let subscriber: Redis;

const spanEnd = (isError: boolean) => ({ model_request_start_id: 'evt_start', model_usage: { input_tokens: 0, output_tokens: 0 }, is_error: isError });

/** Collects what is published on `channel` while `action` runs. */
async function published(channel: string, action: () => Promise<unknown>, expected: number): Promise<unknown[]> {
  const messages: unknown[] = [];
  const onMessage = (from: string, raw: string) => from === channel && messages.push(JSON.parse(raw));
  subscriber.on('message', onMessage);
  await subscriber.subscribe(channel);
  try {
    await action();
    for (let i = 0; i < 100 && messages.length < expected; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return messages;
  } finally {
    subscriber.off('message', onMessage);
    await subscriber.unsubscribe(channel);
  }
}

beforeAll(() => {
  subscriber = new Redis(TEST_REDIS_URL);
});
afterAll(() => subscriber.disconnect());

describe('EventStore', () => {
  it('keeps a preassigned id, stores a dedupe key once, and says which rows are new and the locked status', async () => {
    const { sessionId } = await newSession(fx.prisma);
    const id = newId('event');
    const first = await fx.prisma.$transaction((tx) =>
      fx.store.appendWithOutcome(tx, sessionId, [
        { id, type: 'agent.message', dedupeKey: 't:0:message', payload: { content: [] }, processed: true },
        { type: 'span.model_request_end', dedupeKey: 't:0:end', payload: spanEnd(false), processed: true },
        { type: 'span.model_request_end', dedupeKey: 't:0:end', payload: spanEnd(true), processed: true },
      ]),
    );
    expect(first.status).toBe('processing');
    expect(first.rows.map((r) => [r.id === id, r.seq])).toEqual([
      [true, 1],
      [false, 2],
      [false, 2],
    ]);
    expect(first.fresh.map((r) => r.seq)).toEqual([1, 2]);

    const again = await fx.prisma.$transaction((tx) =>
      fx.store.appendWithOutcome(tx, sessionId, [
        { type: 'span.model_request_end', dedupeKey: 't:0:end', payload: spanEnd(false), processed: true },
        { type: 'session.status_idle', dedupeKey: 't:idle', payload: { stop_reason: { type: 'end_turn' } }, processed: true },
      ]),
    );
    expect(again.rows.map((r) => r.seq)).toEqual([2, 3]);
    expect(again.fresh.map((r) => r.seq)).toEqual([3]);
    expect((await fx.prisma.session.findUniqueOrThrow({ where: { id: sessionId } })).lastSeq).toBe(3);
  });

  it('publishes only what an append stored', async () => {
    const { sessionId } = await newSession(fx.prisma);
    await fx.store.append(sessionId, [{ type: 'agent.message', dedupeKey: 'k1', payload: { content: [] }, processed: true }]);
    const messages = await published(
      sessionChannel(fx.redisKeyPrefix, sessionId),
      () =>
        fx.store.append(sessionId, [
          { type: 'agent.message', dedupeKey: 'k1', payload: { content: [] }, processed: true },
          { type: 'agent.message', dedupeKey: 'k2', payload: { content: [] }, processed: true },
        ]),
      1,
    );
    expect(messages).toEqual([{ seq: 2, event: expect.objectContaining({ type: 'agent.message', session_id: sessionId }), published_at: expect.any(Number) }]);
  });

  it('publishes live previews on the session\'s delta channel, in the stream\'s frame shapes', async () => {
    const { sessionId } = await newSession(fx.prisma);
    const id = newId('event');
    const messages = await published(
      deltaChannel(fx.redisKeyPrefix, sessionId),
      async () => {
        await fx.store.publishDeltaStart(sessionId, { id, type: 'agent.message' });
        await fx.store.publishDeltaText(sessionId, id, 0, 'Hel');
        await fx.store.publishDeltaText(sessionId, id, 0, 'lo');
      },
      3,
    );
    expect(deltaChannel(fx.redisKeyPrefix, sessionId)).toBe(`${fx.redisKeyPrefix}session:${sessionId}:deltas`);
    expect(messages).toEqual([
      { type: 'event_start', event: { id, type: 'agent.message' } },
      { type: 'event_delta', event_id: id, delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Hel' } } },
      { type: 'event_delta', event_id: id, delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'lo' } } },
    ]);
  });
});

describe('the webhook delivery outbox', () => {
  async function webhook(sessionId: string, eventTypes: string[], enabled = true): Promise<string> {
    const { workspaceId } = await fx.prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
    const id = newId('webhook');
    await fx.prisma.webhook.create({ data: { id, workspaceId, url: 'https://hooks.example.com/', eventTypes, description: '', enabled, secretEncrypted: new Uint8Array([1]), updatedAt: new Date() } });
    return id;
  }

  it('writes one delivery per new event and subscribed webhook, with the event as the API shows it', async () => {
    const { sessionId } = await newSession(fx.prisma);
    const idle = await webhook(sessionId, ['session.status_idle']);
    const every = await webhook(sessionId, ['*']);
    await webhook(sessionId, ['*'], false);
    const rows = await fx.store.append(sessionId, [
      { type: 'session.status_running', payload: {}, processed: true },
      { type: 'session.status_idle', payload: { stop_reason: { type: 'end_turn' } }, processed: true, dedupeKey: 'idle-1' },
    ]);
    // A repeated append of a stored event (same dedupe key) makes no second delivery.
    await fx.store.append(sessionId, [{ type: 'session.status_idle', payload: { stop_reason: { type: 'end_turn' } }, processed: true, dedupeKey: 'idle-1' }]);

    const deliveries = await fx.prisma.webhookDelivery.findMany({ where: { sessionId }, orderBy: { id: 'asc' } });
    expect(deliveries.map((d) => [d.webhookId, d.eventType]).sort()).toEqual(
      [
        [idle, 'session.status_idle'],
        [every, 'session.status_running'],
        [every, 'session.status_idle'],
      ].sort(),
    );
    const forIdle = deliveries.find((d) => d.webhookId === idle)!;
    expect(forIdle).toMatchObject({ id: expect.stringMatching(/^whe_[0-9a-f]{32}$/), eventId: rows[1]!.id, status: 'pending', attempts: 0, nextAttemptAt: rows[1]!.createdAt });
    expect(forIdle.data).toEqual({ id: rows[1]!.id, type: 'session.status_idle', session_id: sessionId, turn_id: null, created_at: rows[1]!.createdAt.toISOString(), processed_at: rows[1]!.createdAt.toISOString(), stop_reason: { type: 'end_turn' } });
  });

  it('commits the deliveries with the events or not at all', async () => {
    const { sessionId } = await newSession(fx.prisma);
    await webhook(sessionId, ['*']);
    await expect(
      fx.prisma.$transaction(async (tx) => {
        await fx.store.appendInTransaction(tx, sessionId, [{ type: 'agent.message', payload: { content: [] }, processed: true }]);
        throw new Error('the caller rolls back');
      }),
    ).rejects.toThrow('the caller rolls back');
    expect(await fx.prisma.event.count({ where: { sessionId } })).toBe(0);
    expect(await fx.prisma.webhookDelivery.count({ where: { sessionId } })).toBe(0);
  });
});
