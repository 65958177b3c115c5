import { newId } from '@stratus/db';
import { sql } from '@stratus/testing';
import { archiveSession, deleteSession, newEvent, SESSION_TRANSITIONS, SessionArchivedError, type SessionRef } from '../src';
import { newSession, useEventsDatabase } from './fixture';

// Integration tier on real PostgreSQL: the SQL function append_session_events called directly, as
// anything holding a database connection could, with every effect it can make asked for at once, on a
// session the caller may not write to. It must write nothing and say why in its outcome.
const fx = useEventsDatabase('stratus_append_session_events');

/** Calls the function with new events, a user event to take, a transition, usage, a turn and active time. */
async function appendDirectly(sessionId: string, workspaceId: string | null, consumeIds: string[] = []): Promise<string> {
  const events = [
    { id: newId('event'), type: 'agent.message', turn_id: 'turn_x', dedupe_key: 'usage', payload: { content: [{ type: 'text', text: 'injected' }] }, processed: true },
    { id: newId('event'), type: 'user.message', turn_id: null, dedupe_key: 'turn', payload: { content: [{ type: 'text', text: 'injected' }] }, processed: false },
  ];
  const wake = { name: 'wake', from: ['idle', 'processing', 'canceling'], to: SESSION_TRANSITIONS.wake.to, release_owner: true };
  const [row] = await sql<{ outcome: string; rows: unknown[] }>(
    fx.db.url,
    `SELECT outcome, rows FROM append_session_events(
       p_session_id => $1, p_workspace_id => $2, p_events => $3::jsonb, p_now => $4,
       p_consume_ids => $5::text[], p_consume_turn_id => 'turn_x', p_transition => $6::jsonb,
       p_usage_key => 'usage', p_input_tokens => 1000, p_output_tokens => 1000, p_turn_key => 'turn', p_active_ms => 60000)`,
    [sessionId, workspaceId, JSON.stringify(events), new Date().toISOString(), consumeIds, JSON.stringify(wake)],
  );
  expect(row!.rows).toEqual([]);
  return row!.outcome;
}

/** Everything of the session an append could change: its row, its events and their deliveries. */
async function everything(sessionId: string): Promise<unknown> {
  return {
    session: await fx.prisma.session.findUnique({ where: { id: sessionId } }),
    events: await fx.prisma.event.findMany({ where: { sessionId }, orderBy: { seq: 'asc' } }),
    deliveries: await fx.prisma.webhookDelivery.findMany({ where: { sessionId }, orderBy: { id: 'asc' } }),
  };
}

/** An idle session whose workspace has a webhook for every event, with one user message not taken yet. */
async function victim(): Promise<SessionRef & { messageId: string }> {
  const ref = await newSession(fx.prisma, { status: 'idle', webhook: true });
  const [message] = await fx.store.append(ref.sessionId, [newEvent('user.message', { content: [{ type: 'text', text: 'mine' }] })]);
  return { ...ref, messageId: message!.id };
}

describe('append_session_events called directly', () => {
  it("with another workspace's session id stores nothing, takes nothing and changes nothing: not_found", async () => {
    const target = await victim();
    const { workspaceId: attacker } = await newSession(fx.prisma);
    const before = await everything(target.sessionId);

    expect(await appendDirectly(target.sessionId, attacker, [target.messageId])).toBe('not_found');

    expect(await everything(target.sessionId)).toEqual(before);
  });

  it("from the caller's own session, naming another session's message and dedupe key, neither takes nor returns it", async () => {
    const target = await victim();
    const own = await newSession(fx.prisma);
    await fx.store.append(target.sessionId, [newEvent('agent.message', { content: [] }, { dedupeKey: 'usage', processed: true })]);
    const before = await everything(target.sessionId);

    const [row] = await sql<{ outcome: string; rows: { session_id: string; fresh: boolean }[] }>(
      fx.db.url,
      `SELECT outcome, rows FROM append_session_events(p_session_id => $1, p_workspace_id => $2, p_events => $3::jsonb, p_now => $4,
         p_consume_ids => $5::text[], p_consume_turn_id => 'turn_x')`,
      [own.sessionId, own.workspaceId, JSON.stringify([{ id: newId('event'), type: 'agent.message', dedupe_key: 'usage', payload: { content: [] }, processed: true }]), new Date().toISOString(), [target.messageId]],
    );

    expect(row).toMatchObject({ outcome: 'appended', rows: [{ session_id: own.sessionId, fresh: true }] });
    expect(await everything(target.sessionId)).toEqual(before);
  });

  it('with the id of a deleted session stores nothing, scoped to its workspace or not: not_found', async () => {
    const gone = await victim();
    expect(await deleteSession(fx.prisma, gone)).not.toBeNull();
    // What is left of it: the deliveries of its events, which outlive it.
    const before = await everything(gone.sessionId);
    expect(before).toMatchObject({ session: null, events: [] });

    expect(await appendDirectly(gone.sessionId, gone.workspaceId)).toBe('not_found');
    expect(await appendDirectly(gone.sessionId, null)).toBe('not_found');

    expect(await everything(gone.sessionId)).toEqual(before);
  });

  it('with the id of an archived session stores nothing, takes nothing and changes nothing, scoped to its workspace or not: archived', async () => {
    const archived = await victim();
    expect(await archiveSession(fx.prisma, archived)).toBe(true);
    const before = await everything(archived.sessionId);

    expect(await appendDirectly(archived.sessionId, archived.workspaceId, [archived.messageId])).toBe('archived');
    expect(await appendDirectly(archived.sessionId, null, [archived.messageId])).toBe('archived');
    await expect(fx.store.append(archived.sessionId, [newEvent('user.message', { content: [] })])).rejects.toBeInstanceOf(SessionArchivedError);

    expect(await everything(archived.sessionId)).toEqual(before);
  });
});
