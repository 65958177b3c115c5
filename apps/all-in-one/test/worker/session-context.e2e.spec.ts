import { readTurnLog, SessionContextRepository } from '@stratus/worker';
import { startStack, type Stack } from './harness';

type EventRow = Awaited<ReturnType<SessionContextRepository['loadLog']>>[number];

// The read a turn job starts from, on the real database: the session's context and the tail of its
// log in one query. Whatever the tail leaves out, the turn must read the same conversation and open
// turn from it as from the whole log.

let stack: Stack;

beforeAll(async () => {
  // No worker consumes turns: the test writes the logs itself.
  stack = await startStack({ STRATUS_WORKER_QUEUES: 'sandbox-lifecycle' });
});
afterAll(async () => {
  await stack?.close();
});

/** Appends events to a session's log by hand, in order (a turn's events as a worker would have stored them). */
class LogWriter {
  private seq = 0;
  private readonly rows: unknown[][] = [];

  constructor(
    private readonly sessionId: string,
    private readonly workspaceId: string,
  ) {}

  add(type: EventRow['type'], payload: object, turnId: string | null, options: { id?: string; processed?: boolean } = {}): string {
    this.seq += 1;
    const id = options.id ?? `evt_${this.sessionId}_${this.seq}`;
    this.rows.push([id, this.sessionId, this.workspaceId, this.seq, type, turnId, JSON.stringify(payload), options.processed === false ? null : new Date()]);
    return id;
  }

  /** Stores the events in one statement (a column per array). */
  async write(): Promise<void> {
    const columns = this.rows[0]!.map((_, index) => this.rows.map((row) => row[index]));
    await stack.sql(
      `INSERT INTO events (id, session_id, workspace_id, seq, type, turn_id, payload, processed_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[])`,
      columns,
    );
  }
}

const text = (t: string) => ({ content: [{ type: 'text', text: t }] });
const spanEnd = (startId: string, isError = false) => ({ model_request_start_id: startId, model_usage: { input_tokens: 3, output_tokens: 2 }, is_error: isError });

async function newLog(): Promise<{ sessionId: string; log: LogWriter }> {
  const sessionId = await stack.session();
  const [row] = await stack.sql<{ workspace_id: string }>('SELECT workspace_id FROM sessions WHERE id = $1', [sessionId]);
  // The session's own log (as the API wrote it at creation) is replaced by the test's.
  await stack.sql('DELETE FROM events WHERE session_id = $1', [sessionId]);
  return { sessionId, log: new LogWriter(sessionId, row!.workspace_id) };
}

/** A turn that asked for a confirmation, ran the tool, thought, failed a model call once and answered. */
function closedTurn(log: LogWriter, turnId: string, queuedForNext?: string): void {
  log.add('user.message', text(`question of ${turnId}`), turnId);
  log.add('session.status_running', {}, turnId);
  const firstStart = log.add('span.model_request_start', { model: 'm' }, turnId);
  log.add('span.model_request_end', spanEnd(firstStart, true), turnId);
  log.add('session.error', { error: { type: 'model_overloaded_error', message: 'busy', retry_status: 'retrying' } }, turnId);
  const start = log.add('span.model_request_start', { model: 'm' }, turnId);
  log.add('agent.thinking', text('long reasoning '.repeat(50)), turnId);
  const use = log.add('agent.tool_use', { name: 'Bash', input: { command: 'ls' }, evaluated_permission: 'ask' }, turnId);
  log.add('span.model_request_end', spanEnd(start), turnId);
  log.add('session.status_idle', { stop_reason: { type: 'requires_action', event_ids: [use] } }, turnId);
  // A message sent while the turn waits is taken by the next turn (placed at its start).
  if (queuedForNext) log.add('user.message', text(`queued during ${turnId}`), queuedForNext);
  log.add('user.tool_confirmation', { tool_use_id: use, result: 'allow' }, turnId);
  log.add('session.status_running', {}, turnId);
  log.add('agent.tool_result', { tool_use_id: use, ...text('a b c'), is_error: false }, turnId);
  const answer = log.add('span.model_request_start', { model: 'm' }, turnId);
  log.add('agent.thinking', text('more reasoning'), turnId);
  log.add('agent.message', text(`answer of ${turnId}`), turnId);
  log.add('span.model_request_end', spanEnd(answer), turnId);
  log.add('session.status_idle', { stop_reason: { type: 'end_turn' } }, turnId);
}

/** Every stored event of the session, in order. */
function fullLog(sessionId: string): Promise<EventRow[]> {
  return stack.sql<EventRow>(
    `SELECT id, session_id AS "sessionId", workspace_id AS "workspaceId", seq, type, turn_id AS "turnId", dedupe_key AS "dedupeKey", payload,
       created_at AS "createdAt", processed_at AS "processedAt"
     FROM events WHERE session_id = $1 ORDER BY seq`,
    [sessionId],
  );
}

it('reads from a long session only the tail its turn needs, and the same conversation and open turn as the whole log', async () => {
  const { sessionId, log } = await newLog();
  for (let i = 0; i < 30; i++) closedTurn(log, `turn_${i}`, i === 28 ? 'turn_29' : undefined);
  // The open turn: paused on two confirmations, one answered (not yet taken), and a message queued behind it.
  log.add('user.message', text('open question'), 'turn_open');
  log.add('session.status_running', {}, 'turn_open');
  const start = log.add('span.model_request_start', { model: 'm' }, 'turn_open');
  log.add('agent.thinking', text('thinking about it'), 'turn_open');
  const first = log.add('agent.tool_use', { name: 'Bash', input: { command: 'rm -rf build' }, evaluated_permission: 'ask' }, 'turn_open');
  const second = log.add('agent.tool_use', { name: 'Write', input: { file_path: 'a', content: 'b' }, evaluated_permission: 'ask' }, 'turn_open');
  log.add('span.model_request_end', spanEnd(start), 'turn_open');
  log.add('session.status_idle', { stop_reason: { type: 'requires_action', event_ids: [first, second] } }, 'turn_open');
  log.add('user.tool_confirmation', { tool_use_id: first, result: 'deny', deny_message: 'no' }, null, { processed: false });
  log.add('user.message', text('and another thing'), null, { processed: false });
  await log.write();

  const snapshot = await stack.app.get(SessionContextRepository).load(sessionId);
  const all = await fullLog(sessionId);
  const tail = snapshot!.log;

  const whole = readTurnLog(all);
  expect(readTurnLog(tail)).toEqual(whole);
  // What the turn reads is what the whole log says: 30 turns of 4 messages (and the message queued
  // during one of them), the paused turn's question and tool calls, a queued message.
  expect(whole.messages).toHaveLength(30 * 4 + 1 + 2);
  expect(whole.open).toMatchObject({ turnId: 'turn_open', paused: true, step: 1 });
  expect(whole.open!.pending.map((use) => use.event.id)).toEqual([first, second]);
  expect(whole.open!.pending[0]!.answer?.id).toBeDefined();
  expect(whole.queued).toHaveLength(1);

  // Closed turns' thinking, errors and confirmations are left out; the open turn is read in full.
  expect(tail.length).toBeLessThan(all.length);
  const left = all.filter((row) => !tail.some((kept) => kept.id === row.id));
  expect(new Set(left.map((row) => row.type))).toEqual(new Set(['agent.thinking', 'session.error', 'user.tool_confirmation']));
  expect(left.every((row) => row.turnId !== 'turn_open' && row.processedAt !== null)).toBe(true);
  // Each row read comes back as the stored row (ids, order, timestamps, payloads).
  expect(tail).toEqual(all.filter((row) => tail.some((kept) => kept.id === row.id)));
  expect(await stack.app.get(SessionContextRepository).loadLog(sessionId)).toEqual(tail);

  expect(snapshot!.context).toMatchObject({ sessionId, agent: { model: 'scripted-model' }, vaultIds: [] });
});

it('reads the confirmation a resumed turn took, so that a takeover knows its tool call may have run', async () => {
  const { sessionId, log } = await newLog();
  for (let i = 0; i < 3; i++) closedTurn(log, `turn_${i}`);
  log.add('user.message', text('clean up'), 'turn_open');
  log.add('session.status_running', {}, 'turn_open');
  const start = log.add('span.model_request_start', { model: 'm' }, 'turn_open');
  const use = log.add('agent.tool_use', { name: 'Bash', input: { command: 'rm -rf build' }, evaluated_permission: 'ask' }, 'turn_open');
  log.add('span.model_request_end', spanEnd(start), 'turn_open');
  log.add('session.status_idle', { stop_reason: { type: 'requires_action', event_ids: [use] } }, 'turn_open');
  const confirmation = log.add('user.tool_confirmation', { tool_use_id: use, result: 'allow' }, 'turn_open');
  // Resumed, and its worker stopped while the tool ran (no result).
  log.add('session.status_running', {}, 'turn_open');
  await log.write();

  const tail = (await stack.app.get(SessionContextRepository).load(sessionId))!.log;
  const whole = readTurnLog(await fullLog(sessionId));
  expect(readTurnLog(tail)).toEqual(whole);
  expect(whole.open).toMatchObject({ turnId: 'turn_open', paused: false });
  expect(whole.open!.pending[0]!.answer).toMatchObject({ id: confirmation, processedAt: expect.any(Date) });
});

it('reads the whole log of a session whose first turn has not started', async () => {
  const { sessionId, log } = await newLog();
  log.add('user.message', text('hello'), null, { processed: false });
  log.add('user.message', text('are you there?'), null, { processed: false });
  await log.write();

  const snapshot = await stack.app.get(SessionContextRepository).load(sessionId);
  expect(snapshot!.log).toEqual(await fullLog(sessionId));
  expect(readTurnLog(snapshot!.log).queued).toHaveLength(2);
});

it('finds no session that does not exist', async () => {
  expect(await stack.app.get(SessionContextRepository).load('sess_missing')).toBeNull();
});
