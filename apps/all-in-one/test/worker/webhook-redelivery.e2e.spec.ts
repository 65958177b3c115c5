import { eventually } from '@stratus/testing';
import { stackEnv, startStack, type Stack } from './harness';
import { startWebhookReceiver, verifyWebhook, type WebhookReceiver } from './support/webhook-receiver';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

// At-least-once, one id: a worker process (built as deployed) is SIGKILLed while the receiver holds its
// delivery open; another worker takes the job over (BullMQ's stalled-job check) and delivers it again
// under the same webhook-id, which is what lets the receiver deduplicate.


let stack: Stack;
let receiver: WebhookReceiver;
const workers: WorkerProcess[] = [];

/** A worker process that consumes only the webhook-delivery queue; resolves once it is running. */
async function startDeliveryWorker(): Promise<WorkerProcess> {
  const env = stackEnv(stack.db, stack.env.REDIS_KEY_PREFIX, stack.env.STRATUS_SANDBOX_DIR, {
    LOG_LEVEL: 'info',
    STRATUS_WORKER_QUEUES: 'webhook-delivery',
    STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: '127.0.0.1:*',
    STRATUS_WEBHOOK_POLL_INTERVAL_MS: '20',
    // Longer than the test: the held request is cut by the kill, not by a timeout.
    STRATUS_WEBHOOK_TIMEOUT_MS: '60000',
    STRATUS_WORKER_LOCK_MS: '2000',
    STRATUS_WORKER_STALLED_INTERVAL_MS: '1000',
  });
  const worker = await startWorkerProcess(env);
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  process.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS = '127.0.0.1:*';
  // This process runs the API and the turns; deliveries are left to the worker processes.
  stack = await startStack({ STRATUS_WORKER_QUEUES: 'session-turns,sandbox-lifecycle' });
}, 120_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));
  delete process.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS;
  await stack?.close();
  await receiver?.close();
}, 120_000);

it('a worker killed mid-delivery: another delivers the event again under the same webhook-id', async () => {
  receiver.respond('/crash', (n) => (n === 0 ? 'hang' : 200));
  const first = await startDeliveryWorker();
  const hook = await stack.stratus.webhooks.create({ url: receiver.url('/crash'), event_types: ['session.status_idle'] });
  const sessionId = await stack.session({ agent: { tools: [] } });
  stack.model.script({ kind: 'text', text: 'Hello.' });
  await stack.send(sessionId, { type: 'user.message', content: 'Hi' });

  await receiver.waitFor('/crash', 1);
  first.child.kill('SIGKILL');
  await first.exited;
  await startDeliveryWorker();

  const [crashed, redelivered] = await receiver.waitFor('/crash', 2, 30_000);
  expect(redelivered!.headers['webhook-id']).toBe(crashed!.headers['webhook-id']);
  const payloads = [verifyWebhook(hook.secret, crashed!.headers, crashed!.body), verifyWebhook(hook.secret, redelivered!.headers, redelivered!.body)];
  expect(payloads[1]).toEqual(payloads[0]);

  // The receiver's dedupe by webhook-id leaves one effect; the log shows the one attempt that was answered.
  const delivery = await eventually(
    async () => {
      const [row] = (await stack.stratus.webhooks.deliveries(hook.id)).data;
      return row?.status === 'succeeded' ? row : undefined;
    },
    15_000,
    'the delivery to succeed',
  );
  expect(delivery.id).toBe(crashed!.headers['webhook-id']);
  expect(delivery.attempts.map((a: any) => [a.attempt, a.response_status])).toEqual([[1, 200]]);
  expect(new Set(receiver.received('/crash').map((r) => r.headers['webhook-id'])).size).toBe(1);
}, 120_000);
