import { newId } from '@stratus/db';
import { Stratus } from '@stratus/sdk';
import { eventually } from '@stratus/testing';
import { createFixture, type Fixture } from './support/fixture';
import { openConnections, startGateway, type TestGateway } from './support/gateway-app';
import { openSocketStream } from './support/socket-stream';
import { openRaw, type RawStream } from './support/sse-reader';

let fx: Fixture;
let gateway: TestGateway;
let token: string;
let workspaceId: string;
const opened: RawStream[] = [];

/** Opens a raw stream that is closed after the test. */
async function open(sessionId: string, options?: Parameters<typeof openRaw>[3], on: TestGateway = gateway): Promise<RawStream> {
  const stream = await openRaw(on.url, sessionId, token, options);
  opened.push(stream);
  return stream;
}

/** About 7.5 MB per 15 batches: more than the kernel's socket buffers hold, so a client that does not read blocks the gateway. */
async function appendLarge(sessionId: string, batches: number): Promise<void> {
  for (let batch = 0; batch < batches; batch++) await fx.append(sessionId, 32, 16 * 1024);
}

beforeAll(async () => {
  fx = await createFixture();
  // Reconciliation is slow here, so that what these tests see comes from the join and the gap repair alone.
  gateway = await startGateway(fx, { GATEWAY_HEARTBEAT_INTERVAL_MS: '100', GATEWAY_RECONCILE_INTERVAL_MS: '600000' });
  ({ workspaceId, token } = await fx.newWorkspace());
});
afterEach(() => {
  for (const stream of opened.splice(0)) stream.close();
});
afterAll(async () => {
  await gateway.close();
  await fx.close();
});

describe('GET /sessions/{id}/events/stream', () => {
  it('sends the headers at once, before any event exists, then live events as they come', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const stream = await open(sessionId);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('request-id')).toMatch(/^req_/);
    expect(stream.messages).toEqual([]);
    await fx.append(sessionId, 2);
    await stream.waitForIds(2);
    const ids = await fx.tableIds(sessionId);
    expect(stream.ids).toEqual(ids);
    const data = JSON.parse(stream.messages[0]!.data);
    expect(stream.messages[0]).toMatchObject({ id: ids[0], event: 'agent.message' });
    expect(data).toMatchObject({ id: ids[0], type: 'agent.message', session_id: sessionId, turn_id: null, content: [{ type: 'text' }] });
  });

  it('replays the whole history (several pages) on connect, then continues live, exactly once and in order', async () => {
    const sessionId = await fx.newSession(workspaceId);
    await fx.append(sessionId, 1234);
    const stream = await open(sessionId);
    await stream.waitForIds(1234);
    await fx.append(sessionId, 3);
    await stream.waitForIds(1237);
    expect(stream.ids).toEqual(await fx.tableIds(sessionId));
  });

  it('resumes after any position, from the Last-Event-ID header or ?last_event_id=', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const history = await fx.append(sessionId, 12);
    for (const [position, lastEventId] of history.entries()) {
      const stream = await open(sessionId, position % 2 === 0 ? { headers: { 'last-event-id': lastEventId } } : { query: `last_event_id=${lastEventId}` });
      // A marker appended after connecting shows where the stream stands: nothing may come before what follows the position.
      const [marker] = await fx.append(sessionId);
      await eventually(async () => stream.ids.includes(marker!), 10_000, `the marker after position ${position}`);
      const table = await fx.tableIds(sessionId);
      expect(stream.ids).toEqual(table.slice(table.indexOf(lastEventId) + 1));
      stream.close();
    }
  });

  it('holds live events that arrive during the history replay and writes them after it, exactly once', async () => {
    const sessionId = await fx.newSession(workspaceId);
    // One page of history, larger than the kernel's socket buffers.
    await appendLarge(sessionId, 15);
    const stalled = await openSocketStream(gateway.url, sessionId, token);
    stalled.pause();
    const observer = await open(sessionId);
    await observer.waitForIds(480);
    // The stalled stream is still replaying its history (its socket is full) when this arrives live.
    const [live] = await fx.append(sessionId);
    // The hub hands a message to every stream of the session at once: once the observer has it, so has the stalled one.
    await eventually(async () => observer.ids.includes(live!), 10_000, 'the live event');
    stalled.resume();
    await eventually(async () => stalled.ids().includes(live!), 10_000, 'the stalled stream to catch up');
    expect(stalled.ids()).toEqual(await fx.tableIds(sessionId));
    expect(observer.ids).toEqual(await fx.tableIds(sessionId));
    stalled.close();
  });

  it('joins history and live without a gap or a duplicate while events keep being appended', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const streams: Promise<RawStream>[] = [];
    for (let i = 0; i < 240; i++) {
      // Clients connect at every stage of the appending, each racing the appends.
      if (i % 20 === 0) streams.push(open(sessionId));
      await fx.append(sessionId, 1 + (i % 3));
    }
    const table = await fx.tableIds(sessionId);
    for (const stream of await Promise.all(streams)) {
      await stream.waitForIds(table.length);
      expect(stream.ids).toEqual(table);
    }
  });

  it('answers errors in the envelope instead of a stream', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const other = await fx.newWorkspace();
    const otherSession = await fx.newSession(other.workspaceId);
    const [foreignEvent] = await fx.append(otherSession);
    const cases: [Promise<RawStream>, number, string, string?][] = [
      [open(otherSession), 404, 'not_found_error'],
      [open(newId('session')), 404, 'not_found_error'],
      [open(sessionId, { headers: { 'last-event-id': foreignEvent! } }), 400, 'invalid_request_error', 'last_event_id'],
      [open(sessionId, { query: 'last_event_id=evt_nope' }), 400, 'invalid_request_error', 'last_event_id'],
      [open(sessionId, { query: 'event_deltas[]=agent.message&event_deltas[]=agent.tool_use' }), 400, 'invalid_request_error', 'event_deltas[]'],
      [openRaw(gateway.url, sessionId, 'pt-not-a-token'), 401, 'authentication_error'],
    ];
    for (const [pending, status, type, param] of cases) {
      const reply = await pending;
      expect({ status: reply.status, type: reply.body.error.type, param: reply.body.error.param }).toEqual({ status, type, param });
      expect(reply.body.request_id).toBe(reply.headers.get('request-id'));
    }
  });

  it('ends with session.deleted as the last frame when the session is deleted', async () => {
    const sessionId = await fx.newSession(workspaceId);
    await fx.append(sessionId, 3);
    const stream = await open(sessionId);
    await stream.waitForIds(3);
    const table = await fx.tableIds(sessionId);
    await fx.deleteSession(sessionId);
    await eventually(async () => stream.ended, 10_000, 'the stream to end');
    expect(stream.messages.at(-1)).toMatchObject({ event: 'session.deleted' });
    expect(JSON.parse(stream.messages.at(-1)!.data)).toMatchObject({ type: 'session.deleted', session_id: sessionId });
    expect(stream.ids.slice(0, -1)).toEqual(table);
  });

  it('repairs a publish that Redis dropped from PostgreSQL, as soon as the next event reveals the gap', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const stream = await open(sessionId);
    await fx.append(sessionId, 2);
    await fx.appendUnpublished(sessionId, 2);
    await fx.append(sessionId, 1);
    await stream.waitForIds(5, 5000);
    expect(stream.ids).toEqual(await fx.tableIds(sessionId));
  });

  it('sends heartbeat comments on an idle stream at the configured interval, which the SDK skips', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const stream = await open(sessionId);
    await eventually(async () => stream.comments.length >= 3, 5000, 'three heartbeats');
    expect(new Set(stream.comments)).toEqual(new Set(['heartbeat']));
    expect(stream.messages).toEqual([]);

    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of new Stratus({ baseURL: gateway.url, token }).sessions.events.stream(sessionId, { signal: abort.signal })) seen.push(event.type);
    })();
    const before = stream.comments.length;
    await eventually(async () => stream.comments.length >= before + 3, 5000, 'more heartbeats');
    const [id] = await fx.append(sessionId);
    await eventually(async () => seen.length === 1, 10_000, 'the event through the SDK');
    abort.abort();
    await reading;
    expect(seen).toEqual(['agent.message']);
    expect(await fx.tableIds(sessionId)).toEqual([id]);
  });

  it('streams live previews to the connections that asked for them, and only those', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const messages = await open(sessionId, { query: 'event_deltas[]=agent.message' });
    const plain = await open(sessionId);
    const thinking = await open(sessionId, { query: 'event_deltas[]=agent.thinking' });
    await fx.append(sessionId);
    for (const stream of [messages, plain, thinking]) await stream.waitForIds(1);

    // As the worker does while the model streams: previews under the ids the stored events will have.
    const thoughtId = newId('event');
    const messageId = newId('event');
    await fx.store.publishDeltaStart(sessionId, { id: thoughtId, type: 'agent.thinking' });
    await fx.store.publishDeltaText(sessionId, thoughtId, 0, 'Hmm');
    await fx.store.publishDeltaStart(sessionId, { id: messageId, type: 'agent.message' });
    await fx.store.publishDeltaText(sessionId, messageId, 0, 'Hel');
    await fx.store.publishDeltaText(sessionId, newId('event'), 0, 'a delta without a start is dropped');
    await fx.store.publishDeltaText(sessionId, messageId, 0, 'lo');
    const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
    await fx.store.append(sessionId, [
      { id: thoughtId, type: 'agent.thinking', processed: true, payload: text('Hmm') },
      { id: messageId, type: 'agent.message', processed: true, payload: text('Hello') },
    ]);
    for (const stream of [messages, plain, thinking]) await stream.waitForIds(3);

    const table = await fx.tableIds(sessionId);
    expect(table.slice(1)).toEqual([thoughtId, messageId]);
    const frames = (stream: RawStream) => stream.messages.map((m) => ({ event: m.event, id: m.id, data: m.event.startsWith('event_') ? JSON.parse(m.data) : undefined }));
    const stored = (id: string, event = 'agent.message') => ({ event, id, data: undefined });
    const delta = (eventId: string, value: string) => ({ type: 'event_delta', event_id: eventId, delta: { type: 'content_delta', index: 0, content: { type: 'text', text: value } } });
    // Previews carry no id: a client's Last-Event-ID always names a stored event.
    expect(frames(messages)).toEqual([
      stored(table[0]!),
      { event: 'event_start', id: undefined, data: { type: 'event_start', event: { id: messageId, type: 'agent.message' } } },
      { event: 'event_delta', id: undefined, data: delta(messageId, 'Hel') },
      { event: 'event_delta', id: undefined, data: delta(messageId, 'lo') },
      stored(thoughtId, 'agent.thinking'),
      stored(messageId),
    ]);
    expect(frames(thinking)).toEqual([
      stored(table[0]!),
      { event: 'event_start', id: undefined, data: { type: 'event_start', event: { id: thoughtId, type: 'agent.thinking' } } },
      { event: 'event_delta', id: undefined, data: delta(thoughtId, 'Hmm') },
      stored(thoughtId, 'agent.thinking'),
      stored(messageId),
    ]);
    expect(frames(plain)).toEqual([stored(table[0]!), stored(thoughtId, 'agent.thinking'), stored(messageId)]);
  });

  it('serves one session from two gateways while two writers append concurrently', async () => {
    const second = await startGateway(fx, { GATEWAY_RECONCILE_INTERVAL_MS: '600000' });
    try {
      const sessionId = await fx.newSession(workspaceId);
      const streams = [await open(sessionId), await open(sessionId, undefined, second), await open(sessionId, undefined, second)];
      // Like the API and a worker appending at once: publishes may arrive out of sequence order.
      const writer = async () => {
        for (let i = 0; i < 80; i++) await fx.append(sessionId, 1 + (i % 2));
      };
      await Promise.all([writer(), writer()]);
      const table = await fx.tableIds(sessionId);
      expect(table).toHaveLength(240);
      for (const stream of streams) {
        await stream.waitForIds(table.length);
        expect(stream.ids).toEqual(table);
      }
    } finally {
      for (const stream of opened.splice(0)) stream.close();
      await second.close();
    }
  });

  it('closes the connection of a client that stops reading once its buffer is full; the client resumes with Last-Event-ID', async () => {
    const small = await startGateway(fx, { GATEWAY_CONNECTION_BUFFER_BYTES: String(64 * 1024), GATEWAY_RECONCILE_INTERVAL_MS: '600000' });
    try {
      const sessionId = await fx.newSession(workspaceId);
      const stalled = await openSocketStream(small.url, sessionId, token);
      stalled.pause();
      // Events keep coming until the gateway gives up on the client: its socket closes on the gateway's side.
      for (let batch = 0; (await openConnections(small)) > 0; batch++) {
        if (batch === 64) throw new Error('the gateway never closed the stalled connection');
        await appendLarge(sessionId, 1);
      }
      const table = await fx.tableIds(sessionId);
      stalled.resume();
      await eventually(async () => stalled.closed, 10_000, 'the gateway to close the connection');
      const ids = stalled.ids();
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThan(table.length);
      expect(ids).toEqual(table.slice(0, ids.length));

      const resumed = await openRaw(small.url, sessionId, token, { headers: { 'last-event-id': ids.at(-1)! } });
      opened.push(resumed);
      await resumed.waitForIds(table.length - ids.length);
      expect([...ids, ...resumed.ids]).toEqual(table);
    } finally {
      for (const stream of opened.splice(0)) stream.close();
      await small.close();
    }
  });
});

describe('reconciliation with PostgreSQL', () => {
  let quick: TestGateway;
  beforeAll(async () => {
    quick = await startGateway(fx, { GATEWAY_RECONCILE_INTERVAL_MS: '150' });
  });
  afterAll(() => quick.close());

  it('delivers a last event whose publish was lost, though nothing follows it', async () => {
    const sessionId = await fx.newSession(workspaceId);
    const stream = await open(sessionId, undefined, quick);
    await fx.append(sessionId);
    await fx.appendUnpublished(sessionId, 2);
    await stream.waitForIds(3);
    expect(stream.ids).toEqual(await fx.tableIds(sessionId));
  });

  it('ends the stream of a session whose deletion was never announced with session.deleted', async () => {
    const sessionId = await fx.newSession(workspaceId);
    await fx.append(sessionId, 2);
    const stream = await open(sessionId, undefined, quick);
    await stream.waitForIds(2);
    const table = await fx.tableIds(sessionId);
    await fx.deleteSession(sessionId, false);
    await eventually(async () => stream.ended, 10_000, 'the stream to end');
    expect(stream.messages.map((m) => m.event)).toEqual(['agent.message', 'agent.message', 'session.deleted']);
    expect(stream.ids.slice(0, 2)).toEqual(table);
  });
});
