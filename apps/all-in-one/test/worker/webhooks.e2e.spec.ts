import type { WebhookCreateParams } from '@stratus/sdk';
import { eventually } from '@stratus/testing';
import { ofType, startStack, type Stack } from './harness';
import { startWebhookReceiver, verifyWebhook, type WebhookReceiver } from './support/webhook-receiver';

// Webhooks end to end: the API and the worker in one process over real PostgreSQL and Redis, turns driven
// by the scripted model, deliveries POSTed to a real HTTP receiver that verifies Standard Webhooks
// signatures the way the specification says. Retries are fast here: the schedule and the window are config.

let stack: Stack;
let receiver: WebhookReceiver;
const SCHEDULE = [100, 300, 600];
const WINDOW_MS = 3000;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // The API checks URLs against the allow-list it reads from the process environment, as deployed.
  process.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS = '127.0.0.1:*';
  stack = await startStack({
    STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: '127.0.0.1:*',
    STRATUS_WEBHOOK_RETRY_SCHEDULE_MS: SCHEDULE.join(','),
    STRATUS_WEBHOOK_RETRY_WINDOW_MS: String(WINDOW_MS),
    STRATUS_WEBHOOK_POLL_INTERVAL_MS: '20',
    STRATUS_WEBHOOK_TIMEOUT_MS: '2000',
  });
});
afterAll(async () => {
  delete process.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS;
  await stack?.close();
  await receiver?.close();
});

async function webhook(path: string, eventTypes: WebhookCreateParams['event_types'] = ['session.status_idle'], url = receiver.url(path)): Promise<{ id: string; secret: string }> {
  return stack.stratus.webhooks.create({ url, event_types: eventTypes });
}

/** Runs one chat-only turn (no sandbox) and returns the session's events. */
async function turn(text = 'Hello.'): Promise<{ sessionId: string; events: any[] }> {
  const sessionId = await stack.session({ agent: { tools: [] } });
  stack.model.script({ kind: 'text', text });
  await stack.send(sessionId, { type: 'user.message', content: 'Hi' });
  return { sessionId, events: await stack.idle(sessionId) };
}

async function deliveries(webhookId: string): Promise<any[]> {
  const all: any[] = [];
  for await (const delivery of stack.stratus.webhooks.deliveries(webhookId, { limit: 100 })) all.push(delivery);
  return all;
}

/** Waits until every delivery of the webhook has left `pending`. */
function settled(webhookId: string, count: number): Promise<any[]> {
  return eventually(
    async () => {
      const all = await deliveries(webhookId);
      return all.length >= count && all.every((d) => d.status !== 'pending') ? all : undefined;
    },
    15_000,
    `${count} settled deliveries of ${webhookId}`,
  );
}

describe('webhook delivery', () => {
  it('POSTs each subscribed event once, signed as Standard Webhooks says, and records the attempt', async () => {
    const hook = await webhook('/idle');
    const { events } = await turn();
    const [request] = await receiver.waitFor('/idle', 1);
    const payload = verifyWebhook(hook.secret, request!.headers, request!.body);
    const idle = ofType(events, 'session.status_idle')[0];
    expect(payload).toEqual({ id: request!.headers['webhook-id'], type: 'session.status_idle', created_at: idle.created_at, data: idle });
    expect(payload.id).toMatch(/^whe_[0-9a-f]{32}$/);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => verifyWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, request!.headers, request!.body)).toThrow('no matching signature');

    // Only the subscribed type: the turn's other events made no delivery.
    const [delivery] = await settled(hook.id, 1);
    expect(await deliveries(hook.id)).toHaveLength(1);
    expect(delivery).toMatchObject({ id: payload.id, type: 'webhook_delivery', webhook_id: hook.id, event_id: idle.id, event_type: 'session.status_idle', status: 'succeeded', next_attempt_at: null, completed_at: expect.any(String) });
    expect(delivery.attempts).toEqual([{ attempt: 1, started_at: expect.any(String), duration_ms: expect.any(Number), response_status: 200, error: null }]);
    expect(receiver.received('/idle')).toHaveLength(1);
  });

  it('"*" subscribes to every event type', async () => {
    const hook = await webhook('/all', ['*']);
    const { events } = await turn();
    const all = await settled(hook.id, events.length);
    expect(all.map((d) => d.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    const received = await receiver.waitFor('/all', events.length);
    expect(new Set(received.map((r) => verifyWebhook(hook.secret, r.headers, r.body).data.id))).toEqual(new Set(events.map((e) => e.id)));
  });

  it('retries a failing receiver with backoff, under the same webhook-id, until it answers 2xx', async () => {
    receiver.respond('/flaky', (n) => (n < 2 ? 500 : 200));
    const hook = await webhook('/flaky');
    await turn();
    const requests = await receiver.waitFor('/flaky', 3);
    const ids = requests.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    // Each attempt is signed afresh; the receiver deduplicates on webhook-id.
    const payloads = requests.map((r) => verifyWebhook(hook.secret, r.headers, r.body));
    expect(new Set(payloads.map((p) => p.id))).toEqual(new Set(ids));

    const [delivery] = await settled(hook.id, 1);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts.map((a: any) => [a.attempt, a.response_status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(delivery.attempts[0].error).toBe('HTTP 500: status 500 from the receiver');
    const started = delivery.attempts.map((a: any) => Date.parse(a.started_at));
    // The waits follow the schedule (±20% jitter): at least 80% of 100 ms, then of 300 ms.
    expect(started[1] - started[0]).toBeGreaterThanOrEqual(0.8 * SCHEDULE[0]! - 5);
    expect(started[2] - started[1]).toBeGreaterThanOrEqual(0.8 * SCHEDULE[1]! - 5);
    expect(receiver.received('/flaky')).toHaveLength(3);
  });

  it('marks a delivery failed once the retry window has passed', async () => {
    receiver.respond('/down', () => 503);
    const hook = await webhook('/down');
    await turn();
    const [delivery] = await settled(hook.id, 1);
    expect(delivery).toMatchObject({ status: 'failed', next_attempt_at: null, completed_at: expect.any(String) });
    expect(delivery.attempts.length).toBeGreaterThanOrEqual(3);
    expect(delivery.attempts.every((a: any) => a.response_status === 503)).toBe(true);
    // Without the window the receiver would be retried for ever and the delivery never fail. When the
    // last attempt was planned is nextAttemptAt's unit test; when it started also depends on how busy
    // the machine was (it once began 8 ms past the window under load), so it is not asserted here.
    expect(receiver.received('/down')).toHaveLength(delivery.attempts.length);
  });

  it('gives up on a receiver that does not answer within the timeout, and tries again', async () => {
    receiver.respond('/slow', (n) => (n === 0 ? 'hang' : 200));
    const hook = await webhook('/slow');
    await turn();
    const [delivery] = await settled(hook.id, 1);
    expect(delivery.attempts.map((a: any) => [a.response_status, a.error])).toEqual([
      [null, 'timed out after 2000 ms'],
      [200, null],
    ]);
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    receiver.respond('/moved', (n) => (n === 0 ? 302 : 200));
    const hook = await webhook('/moved');
    await turn();
    const [delivery] = await settled(hook.id, 1);
    expect(delivery.attempts.map((a: any) => a.response_status)).toEqual([302, 200]);
  });

  it('refuses a target that resolves to a private address unless the allow-list names it', async () => {
    // localhost passes the API's check (a name, https) but resolves to loopback, which is not on the list.
    const hook = await webhook('/private', ['session.status_idle'], `https://localhost:${receiver.port}/private`);
    await turn();
    const [delivery] = await settled(hook.id, 1);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts[0]).toMatchObject({ response_status: null, error: expect.stringContaining('refused: localhost is a private or special-purpose address') });
    expect(receiver.received('/private')).toHaveLength(0);
  });

  it('signs with both secrets during a rotation’s grace period, and with the new one only after it', async () => {
    const hook = await webhook('/rotated');
    const rotated = await stack.stratus.webhooks.rotateSecret(hook.id);
    await turn();
    const [during] = await receiver.waitFor('/rotated', 1);
    expect(during!.headers['webhook-signature']!.toString().split(' ')).toHaveLength(2);
    verifyWebhook(hook.secret, during!.headers, during!.body);
    verifyWebhook(rotated.secret, during!.headers, during!.body);

    const latest = await stack.stratus.webhooks.rotateSecret(hook.id, { grace_period_seconds: 0 });
    await turn();
    const [, after] = await receiver.waitFor('/rotated', 2);
    expect(after!.headers['webhook-signature']!.toString().split(' ')).toHaveLength(1);
    verifyWebhook(latest.secret, after!.headers, after!.body);
    expect(() => verifyWebhook(rotated.secret, after!.headers, after!.body)).toThrow('no matching signature');
    expect(() => verifyWebhook(hook.secret, after!.headers, after!.body)).toThrow('no matching signature');
  });

  it('delivers nothing for a paused webhook, and events before a webhook existed are not delivered', async () => {
    const { sessionId } = await turn();
    const hook = await webhook('/paused');
    await stack.stratus.webhooks.update(hook.id, { enabled: false });
    stack.model.script({ kind: 'text', text: 'again' });
    await stack.send(sessionId, { type: 'user.message', content: 'Again' });
    await stack.idle(sessionId, 2);
    const rows = await stack.sql('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1', [hook.id]);
    expect(rows[0].n).toBe(0);
    expect(receiver.received('/paused')).toHaveLength(0);
  });

  it('delivers session.deleted, which is not kept in the log, with the deletion itself', async () => {
    const hook = await webhook('/deleted', ['session.deleted']);
    const sessionId = await stack.session({ agent: { tools: [] } });
    expect((await stack.request('DELETE', `/sessions/${sessionId}`)).status).toBe(200);
    const [request] = await receiver.waitFor('/deleted', 1);
    const payload = verifyWebhook(hook.secret, request!.headers, request!.body);
    expect(payload).toMatchObject({ type: 'session.deleted', data: { id: expect.stringMatching(/^evt_/), type: 'session.deleted', session_id: sessionId, turn_id: null } });
    const [delivery] = await settled(hook.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', event_id: payload.data.id });
  });
});
