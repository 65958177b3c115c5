import { SessionContextRepository, TurnTakenError, turnOwner, TurnsRepository } from '@stratus/worker';
import { startStack, type Stack } from './harness';

// Session ownership per job attempt, on the real database: a stack whose worker consumes no turns, so
// that the test plays the attempts of one turn job itself.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ STRATUS_WORKER_QUEUES: 'sandbox-lifecycle' });
});
afterAll(async () => {
  await stack?.close();
});

it('an attempt whose session was taken over by a later attempt of the same job can commit nothing', async () => {
  const sessionId = await stack.session();
  await stack.send(sessionId, { type: 'user.message', content: 'hi' });
  const turns = stack.app.get(TurnsRepository);
  const sessions = stack.app.get(SessionContextRepository);
  const jobId = `${sessionId}-1`;
  const first = turnOwner(jobId, 'worker-a:1');
  const second = turnOwner(jobId, 'worker-b:7');

  expect((await sessions.load(sessionId, first))?.claimed).toBe(true);
  // The job was handed out again (its lock expired): the new attempt sees the old one as the owner.
  expect((await sessions.load(sessionId, second))?.claimed).toBe(false);
  expect(await turns.claimRefusal(sessionId, second)).toEqual({ kind: 'owned', owner: first });
  expect(await turns.takeOver(sessionId, second, first)).toBe(true);

  const [row] = await stack.sql<{ workspace_id: string }>('SELECT workspace_id FROM sessions WHERE id = $1', [sessionId]);
  const session = { sessionId, workspaceId: row!.workspace_id };
  await expect(turns.commit(session, first, { events: [], end: 'finish' })).rejects.toThrow(TurnTakenError);
  await turns.release(session, first);
  expect(await stack.sql('SELECT status, turn_job_id FROM sessions WHERE id = $1', [sessionId])).toEqual([{ status: 'processing', turn_job_id: second }]);
});
