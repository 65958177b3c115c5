import { Client } from 'pg';
import { eventually } from '@stratus/testing';
import { startStack, type Stack } from './harness';

let stack: Stack;
beforeAll(async () => {
  // One connection for the API, one for the worker, and a short wait for either.
  stack = await startStack({ DATABASE_POOL_SIZE: '1', STRATUS_WORKER_DATABASE_POOL_SIZE: '1', DATABASE_POOL_TIMEOUT_MS: '3000', STRATUS_MODEL_TIMEOUT_MS: '30000' });
});
afterAll(() => stack.close());

describe("the worker's own database pool", () => {
  it("leaves the API its connections while a turn holds the worker's", async () => {
    const sessionId = await stack.session({ agent: { tools: [] } });
    // The model answers late enough for the session row to be locked before the turn commits its answer.
    stack.model.script({ kind: 'text', text: 'hi', delayMs: 5000 });
    await stack.send(sessionId, { type: 'user.message', content: 'hello' });
    await stack.until(sessionId, 'span.model_request_start');

    const lock = new Client({ connectionString: stack.db.url });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [sessionId]);
      // The turn's next commit waits for the row, holding the worker's one connection.
      await eventually(
        async () => {
          const [{ waiting }] = await stack.sql(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
          return waiting >= 1 ? true : undefined;
        },
        15_000,
        'the turn waiting for the session row',
      );
      expect((await stack.request('GET', `/sessions/${sessionId}`)).status).toBe(200);
      expect((await stack.request('GET', `/sessions/${sessionId}/events`)).status).toBe(200);
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }
    const events = await stack.idle(sessionId);
    expect(events.filter((e) => e.type === 'agent.message')).toHaveLength(1);
  });
});
