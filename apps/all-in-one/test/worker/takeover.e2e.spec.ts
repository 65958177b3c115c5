import { spawn } from 'node:child_process';
import { eventually, pidsWithArgument } from '@stratus/testing';
import { newSession, ofType, textOf } from './harness';
import { WORKER_MAIN, type WorkerProcess } from './worker-process';
import { expectCleanLog, startWorkerStack, type WorkerStack } from './worker-stack';

// Three (then four) real worker processes, built as deployed, and the API in this process: a worker is
// SIGKILLed in the middle of a turn, and another takes the turn over through BullMQ's stalled-job check,
// with the default lock and stalled-check settings. Every wait is on a condition with a generous bound
// (the machine may be loaded); the takeover time is printed, never asserted (bench/ measures it).

let stack: WorkerStack;

/** Resolves once a live worker other than `from` has started the session's turn job again, printing how long that took since `since`. */
async function takenOver(sessionId: string, from: WorkerProcess, since: number, how: string): Promise<void> {
  const others = stack.workers.filter((w) => w !== from && w.child.exitCode === null);
  await Promise.any(others.map((w) => w.waitForLog((e) => e.msg === 'turn job started' && e.sessionId === sessionId, `another worker to take ${sessionId} over`, 120_000)));
  console.log(`takeover of ${sessionId} ${how}: ${Date.now() - since} ms`);
}

/** Kills the worker running the session's turn; resolves once another worker has started the turn's job again. */
async function killOwner(sessionId: string): Promise<WorkerProcess> {
  const owner = await stack.ownerOf(sessionId);
  const killedAt = Date.now();
  owner.child.kill('SIGKILL');
  await takenOver(sessionId, owner, killedAt, 'after SIGKILL');
  return owner;
}

/** Sends a message whose turn asks the model, and waits until the model has the request. */
async function sendToModel(sessionId: string): Promise<number> {
  const first = stack.model.requests.length;
  await stack.send(sessionId, 'hi');
  await eventually(async () => (stack.model.requests.length > first ? true : undefined), 60_000, 'the model request');
  return first;
}

/** Sends a message whose turn runs the command with `marker` in the sandbox, and waits until the command runs. */
async function sendRunning(sessionId: string, marker: string): Promise<void> {
  await stack.send(sessionId, 'go');
  await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 60_000, 'the command to run');
}

beforeAll(async () => {
  stack = await startWorkerStack('stratus_takeover', { workers: 3, env: { LOG_LEVEL: 'debug', STRATUS_MODEL_IDLE_TIMEOUT_MS: '60000' } });
}, 120_000);

afterAll(() => stack?.close(), 120_000);

/** A turn whose first model request was cut off, and whose second answered. */
const RETRIED_MODEL_TURN = [
  'user.message',
  'session.status_running',
  'span.model_request_start',
  'span.model_request_end',
  'span.model_request_start',
  'agent.message',
  'span.model_request_end',
  'session.status_idle',
];

it('a worker whose event loop stalls past its lock: another takes the turn over, and the stalled one, once awake, stops without writing', async () => {
  const sessionId = await newSession(stack.api.stratus);
  stack.model.script({ kind: 'text', text: 'never completed', stallAfterChunks: 2 }, { kind: 'text', text: 'taken over' });
  const first = await sendToModel(sessionId);
  const stalled = await stack.ownerOf(sessionId);
  // SIGSTOP freezes the whole process, timers and all: a stall of the event loop as long as the test wants.
  const stalledAt = Date.now();
  stalled.child.kill('SIGSTOP');
  try {
    await takenOver(sessionId, stalled, stalledAt, 'from a stalled worker');
    await stack.turnEnded(sessionId);
  } finally {
    stalled.child.kill('SIGCONT');
  }
  // Awake, the stalled worker finds its lock gone and stops its run (or fails its next commit).
  await stalled.waitForLog((e) => (e.msg?.startsWith('turn stopped here: its job lock was lost') === true || e.msg === 'turn taken over by another job') && e.sessionId === sessionId, 'the stalled run to stop');

  const log = await stack.events(sessionId);
  expect(log.map((e) => e.type)).toEqual(RETRIED_MODEL_TURN);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('taken over');
  expect(stack.model.requests.length - first).toBe(2);
  await expectCleanLog(stack, sessionId);
  expect(stalled.child.exitCode).toBeNull();
}, 240_000);

it('a worker killed while a tool runs: another resumes the turn, reports the call as interrupted and does not run it again', async () => {
  const sessionId = await newSession(stack.api.stratus);
  const marker = `${60 + Math.random()}`;
  stack.model.script(
    { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: `echo run >> runs.txt; sleep ${marker}` } }] },
    { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'cat runs.txt' } }] },
    { kind: 'text', text: 'done' },
  );
  await sendRunning(sessionId, marker);
  const owner = await killOwner(sessionId);
  // The sandbox goes down with its worker, command and all.
  await eventually(async () => ((await pidsWithArgument(marker)).length === 0 ? true : undefined), 30_000, 'the command to die with its worker');

  const log = await stack.turnEnded(sessionId);
  expect(stack.workers.some((w) => w !== owner && w.started.has(sessionId))).toBe(true);
  expect(log.map((e) => e.type)).toEqual([
    'user.message',
    'session.status_running',
    'span.model_request_start',
    'agent.tool_use',
    'span.model_request_end',
    'agent.tool_result',
    'span.model_request_start',
    'agent.tool_use',
    'span.model_request_end',
    'agent.tool_result',
    'span.model_request_start',
    'agent.message',
    'span.model_request_end',
    'session.status_idle',
  ]);
  const [interrupted, second] = ofType(log, 'agent.tool_result');
  expect(interrupted).toMatchObject({ is_error: true, tool_use_id: ofType(log, 'agent.tool_use')[0].id });
  expect(textOf(interrupted)).toMatch(/not repeated/);
  // The interrupted command ran once: the file it appends to has one line.
  expect(textOf(second)).toBe('run');
  expect(log.at(-1).stop_reason).toEqual({ type: 'end_turn' });
  await expectCleanLog(stack, sessionId);
}, 240_000);

it('a worker killed while the model streams: another closes the span as failed and asks the model again', async () => {
  const sessionId = await newSession(stack.api.stratus);
  stack.model.script({ kind: 'text', text: 'never completed', stallAfterChunks: 2 }, { kind: 'text', text: 'recovered' });
  const first = await sendToModel(sessionId);
  await killOwner(sessionId);

  const log = await stack.turnEnded(sessionId);
  expect(log.map((e) => e.type)).toEqual(RETRIED_MODEL_TURN);
  const [start1, start2] = ofType(log, 'span.model_request_start');
  expect(ofType(log, 'span.model_request_end')).toEqual([
    expect.objectContaining({ model_request_start_id: start1.id, is_error: true }),
    expect.objectContaining({ model_request_start_id: start2.id, is_error: false }),
  ]);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('recovered');
  expect(stack.model.requests.length - first).toBe(2);
  await expectCleanLog(stack, sessionId);
}, 240_000);

it('a worker shut down in the middle of a turn hands it back to the queue, and another resumes it at once', async () => {
  await stack.startWorker();
  const sessionId = await newSession(stack.api.stratus);
  const marker = `${70 + Math.random()}`;
  stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: `sleep ${marker}` } }] }, { kind: 'text', text: 'resumed' });
  await sendRunning(sessionId, marker);
  const owner = await stack.ownerOf(sessionId);
  owner.child.kill('SIGTERM');
  await owner.exited;
  expect(owner.handedBack.has(sessionId)).toBe(true);

  const log = await stack.turnEnded(sessionId);
  expect(stack.workers.some((w) => w !== owner && w.started.has(sessionId))).toBe(true);
  expect(ofType(log, 'session.status_running')).toHaveLength(1);
  expect(textOf(ofType(log, 'agent.tool_result')[0])).toMatch(/not repeated/);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('resumed');
  await expectCleanLog(stack, sessionId);
}, 240_000);

it('a worker refuses to start with a queue it does not know, naming the variable', async () => {
  const child = spawn(process.execPath, [WORKER_MAIN], { env: { ...process.env, ...stack.env, STRATUS_WORKER_QUEUES: 'session-turns,webhooks' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toMatch(/STRATUS_WORKER_QUEUES: unknown queue "webhooks"/);
});
