import { queuePrefix } from '@stratus/queues';
import { eventually, pidsWithArgument, startOwnRedis, startTcpProxy, type OwnRedis, type TcpProxy } from '@stratus/testing';
import { Redis } from 'ioredis';
import { newSession, ofType, textOf } from './harness';
import type { WorkerProcess } from './worker-process';
import { expectCleanLog, startWorkerStack, type WorkerStack } from './worker-stack';

// A real worker process under infrastructure faults: PostgreSQL cut (through a TCP proxy in front of
// the worker's connections only, so the API in this process can still take messages) while turns fail
// and finish, a Redis of the test's own restarted, empty, under a running turn, and a job's lock lost
// under a live run. The worker must live through all of them (an unhandled rejection would end it),
// never run one turn twice at once, and leave no session processing.

let redis: OwnRedis;
let proxy: TcpProxy;
let stack: WorkerStack;
let worker: WorkerProcess;

/** The scripted model: a user message `run: <command>` gets a Bash call of the command, anything else the text "done". */
function reply(messages: { role: string; content?: unknown }[]) {
  const last = messages.at(-1);
  const command = last?.role === 'user' ? /run: ([^"\\]+)/.exec(JSON.stringify(last.content))?.[1] : undefined;
  return command ? { kind: 'tool_calls' as const, calls: [{ name: 'Bash', arguments: { command } }] } : { kind: 'text' as const, text: 'done' };
}

/** Waits until the session is idle after `turns` turns; returns its events. */
const idleAfter = (sessionId: string, turns: number) =>
  eventually(
    async () => {
      const [session, events] = await Promise.all([stack.api.stratus.sessions.retrieve(sessionId), stack.events(sessionId)]);
      return session.status === 'idle' && ofType(events, 'session.status_idle').length >= turns ? events : undefined;
    },
    120_000,
    `${sessionId} to be idle after ${turns} turn(s)`,
  );

/** Sends `run: sleep <marker>` and waits until the command runs in the session's sandbox; returns the marker. */
async function startSleep(sessionId: string): Promise<string> {
  const marker = `${80 + Math.random()}`;
  await stack.send(sessionId, `run: sleep ${marker}`);
  await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 60_000, `the command of ${sessionId} to run`);
  return marker;
}

/** Starts a `sleep` in the session's sandbox and waits until it runs; returns a function that ends it. */
async function runningCommand(sessionId: string): Promise<() => Promise<void>> {
  const marker = await startSleep(sessionId);
  return async () => {
    for (const pid of await pidsWithArgument(marker)) process.kill(pid, 'SIGKILL');
  };
}

beforeAll(async () => {
  redis = await startOwnRedis();
  stack = await startWorkerStack('stratus_faults', { workers: 0, env: { REDIS_URL: redis.url }, model: { respond: (request) => reply(request.body.messages) } });
  proxy = await startTcpProxy(Number(new URL(stack.db.url).port || 5432));
  const proxied = new URL(stack.db.url);
  proxied.port = String(proxy.port);
  worker = await stack.startWorker({
    DATABASE_URL: proxied.toString(),
    LOG_LEVEL: 'debug',
    // The safety net that resumes turns whose jobs failed for good while PostgreSQL was down.
    STRATUS_TURN_RECOVERY_INTERVAL_MS: '1000',
    // A model call that hangs stays in flight until the test ends it.
    STRATUS_MODEL_TIMEOUT_MS: '120000',
    STRATUS_MODEL_IDLE_TIMEOUT_MS: '120000',
  });
}, 120_000);

afterAll(async () => {
  try {
    await stack?.close();
  } finally {
    await proxy?.close();
    await redis?.kill();
  }
}, 120_000);

it('PostgreSQL down until turn jobs fail for good: the worker lives on, and the turns end once it is back', async () => {
  const interrupted = await newSession(stack.api.stratus);
  const queued = await newSession(stack.api.stratus);
  const endCommand = await runningCommand(interrupted);
  await proxy.cut();
  // Stored by the API (which reaches PostgreSQL directly); the worker cannot claim it.
  await stack.send(queued, 'hello');
  // The running turn cannot store the command's result.
  await endCommand();

  // Every attempt fails while PostgreSQL is down; the last one's handler cannot load the session either.
  for (const sessionId of [interrupted, queued]) {
    await worker.waitForLog((e) => e.msg === 'job failed' && e.final === true && String(e.jobId).startsWith(`${sessionId}-`), `the job of ${sessionId} to fail for good`, 120_000);
    await worker.waitForLog((e) => e.msg?.startsWith('could not end the failed turn') === true && e.sessionId === sessionId, `the failed turn of ${sessionId} to be left to the sweep`);
  }
  expect(worker.log.some((e) => e.msg?.startsWith('unhandled promise rejection'))).toBe(false);
  await proxy.restore();

  const [queuedLog, interruptedLog] = await Promise.all([idleAfter(queued, 1), idleAfter(interrupted, 1)]);
  expect(textOf(ofType(queuedLog, 'agent.message')[0])).toBe('done');
  expect(ofType(interruptedLog, 'agent.tool_result')).toHaveLength(1);
  expect(textOf(ofType(interruptedLog, 'agent.message')[0])).toBe('done');
  await expectCleanLog(stack, queued);
  await expectCleanLog(stack, interrupted);

  // The same process carries on with new turns.
  await stack.send(queued, 'again');
  expect(ofType(await idleAfter(queued, 2), 'agent.message')).toHaveLength(2);
  expect(worker.child.exitCode).toBeNull();
}, 300_000);

it('Redis restarted empty under a running turn: the turn ends, and the worker takes new turns from the new Redis', async () => {
  const sessionId = await newSession(stack.api.stratus);
  const endCommand = await runningCommand(sessionId);
  await redis.kill();
  await redis.start();
  await endCommand();

  const log = await idleAfter(sessionId, 1);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('done');
  await stack.send(sessionId, 'again');
  expect(ofType(await idleAfter(sessionId, 2), 'agent.message')).toHaveLength(2);
  await expectCleanLog(stack, sessionId);
  expect(worker.child.exitCode).toBeNull();
}, 300_000);

it('a run that lost its job\'s lock stops, and the attempt that takes the job over runs the turn alone', async () => {
  const sessionId = await newSession(stack.api.stratus);
  const marker = await startSleep(sessionId);
  const { jobId } = await worker.waitForLog((e) => e.msg === 'turn job started' && e.sessionId === sessionId, 'the turn job to start');
  const requestsBefore = stack.model.requests.length;
  // The attempt that takes over asks the model and waits there, until the test interrupts it.
  stack.model.script({ kind: 'hang' });
  // What an event loop stalled past the lock leaves in Redis: the lock is gone while the run goes on.
  const client = new Redis(redis.url);
  try {
    expect(await client.del(`${queuePrefix(stack.redisKeyPrefix)}:session-turns:${String(jobId)}:lock`)).toBe(1);
  } finally {
    client.disconnect();
  }

  await worker.waitForLog((e) => e.msg?.startsWith('turn stopped here: its job lock was lost') === true && e.sessionId === sessionId, 'the first run to stop');
  await eventually(async () => ((await pidsWithArgument(marker)).length === 0 ? true : undefined), 60_000, 'its command to end with it');
  await worker.waitForLog((e) => e.msg?.startsWith('taking over a session') === true && e.sessionId === sessionId, 'another attempt of the job to take the session over');
  await eventually(async () => (stack.model.requests.length > requestsBefore ? true : undefined), 60_000, 'the new attempt to ask the model');
  // Only the new attempt asked the model: the first run did not go on beside it.
  expect(stack.model.requests.length).toBe(requestsBefore + 1);

  await stack.api.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.interrupt' }] });
  const log = await idleAfter(sessionId, 1);
  expect(ofType(log, 'agent.tool_use')).toHaveLength(1);
  expect(ofType(log, 'agent.tool_result')).toHaveLength(1);
  expect(ofType(log, 'agent.message')).toHaveLength(0);
  expect(ofType(log, 'session.status_running')).toHaveLength(1);
  await expectCleanLog(stack, sessionId);
  expect(worker.child.exitCode).toBeNull();
}, 300_000);
