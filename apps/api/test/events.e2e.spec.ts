import { createSession, expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

/** Pretends a turn ended waiting for the client, as the worker records it. */
async function seedRequiresAction(sessionId: string): Promise<{ customId: string; toolId: string }> {
  const customId = 'evt_00000000000000000000000000000c01';
  const toolId = 'evt_00000000000000000000000000000c02';
  const idleId = 'evt_00000000000000000000000000000c03';
  const [{ workspace_id: ws, last_seq: last }] = await api.sql('SELECT workspace_id, last_seq FROM sessions WHERE id = $1', [sessionId]);
  const rows: [string, string, object][] = [
    [customId, 'agent.custom_tool_use', { name: 'lookup', input: { q: 'x' } }],
    [toolId, 'agent.tool_use', { name: 'Bash', input: { command: 'ls' }, evaluated_permission: 'ask' }],
    [idleId, 'session.status_idle', { stop_reason: { type: 'requires_action', event_ids: [customId, toolId] } }],
  ];
  for (const [i, [id, type, payload]] of rows.entries()) {
    await api.sql('INSERT INTO events (id, session_id, workspace_id, seq, type, payload, processed_at) VALUES ($1, $2, $3, $4, $5, $6, now())', [id, sessionId, ws, last + i + 1, type, payload]);
  }
  await api.sql('UPDATE sessions SET last_seq = $2 WHERE id = $1', [sessionId, last + rows.length]);
  return { customId, toolId };
}

describe('session events', () => {
  it('stores user events with sequential order and the flat public shape', async () => {
    const { sessionId } = await createSession(api);
    const sent = await api.request('POST', `/sessions/${sessionId}/events`, {
      body: { events: [{ type: 'user.message', content: 'hello' }, { type: 'user.message', content: [{ type: 'text', text: 'again' }] }, { type: 'user.interrupt' }] },
    });
    expect(sent.status).toBe(202);
    expect(sent.body.data).toHaveLength(3);
    expect(sent.body.data[0]).toMatchObject({ type: 'user.message', session_id: sessionId, turn_id: null, processed_at: null, content: [{ type: 'text', text: 'hello' }] });
    expect(sent.body.data[0].id).toMatch(/^evt_[0-9a-f]{32}$/);
    const listed = await api.request('GET', `/sessions/${sessionId}/events`);
    expect(listed.body.data).toEqual(sent.body.data);
    const seqs = await api.sql('SELECT seq FROM events WHERE session_id = $1 ORDER BY seq', [sessionId]);
    expect(seqs.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('rejects the whole request when one event is bad, storing none of it', async () => {
    const { sessionId } = await createSession(api);
    const reply = await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [{ type: 'user.message', content: 'ok' }, { type: 'user.dance' }] } });
    expectError(reply, 400, 'invalid_request_error', 'events.1.type');
    expect((await api.request('GET', `/sessions/${sessionId}/events`)).body.data).toEqual([]);
    expectError(await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [] } }), 400, 'invalid_request_error', 'events');
    expectError(await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [{ type: 'user.message' }] } }), 400, 'invalid_request_error', 'events.0.content');
    expectError(await api.request('POST', `/sessions/${sessionId}/events`, { body: [] }), 400, 'invalid_request_error');
  });

  it('accepts answers only to pending tool uses, once, and atomically', async () => {
    const { sessionId } = await createSession(api);
    await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [{ type: 'user.message', content: 'go' }] } });
    const { customId, toolId } = await seedRequiresAction(sessionId);
    // Wrong kind of answer for each id.
    expectError(
      await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [{ type: 'user.tool_confirmation', tool_use_id: customId, result: 'allow' }] } }),
      409,
      'conflict_error',
      'events.0.tool_use_id',
    );
    // One good answer and one unknown id: nothing is stored.
    const mixed = await api.request('POST', `/sessions/${sessionId}/events`, {
      body: { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: customId, content: 'found' }, { type: 'user.tool_confirmation', tool_use_id: 'evt_nope', result: 'allow' }] },
    });
    expectError(mixed, 409, 'conflict_error', 'events.1.tool_use_id');
    const ok = await api.request('POST', `/sessions/${sessionId}/events`, {
      body: { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: customId, content: 'found' }, { type: 'user.tool_confirmation', tool_use_id: toolId, result: 'deny', deny_message: 'no' }] },
    });
    expect(ok.status).toBe(202);
    expect(ok.body.data[0]).toMatchObject({ type: 'user.custom_tool_result', custom_tool_use_id: customId, is_error: false, content: [{ type: 'text', text: 'found' }] });
    expect(ok.body.data[1]).toMatchObject({ type: 'user.tool_confirmation', tool_use_id: toolId, result: 'deny', deny_message: 'no' });
    // Answered already.
    expectError(
      await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: customId, content: 'again' }] } }),
      409,
      'conflict_error',
    );
  });

  it('filters by type and pages in both directions', async () => {
    const { sessionId } = await createSession(api);
    const events = Array.from({ length: 5 }, (_, i) => ({ type: 'user.message', content: `m${i}` }));
    await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [...events, { type: 'user.interrupt' }] } });
    const messages = await api.request('GET', `/sessions/${sessionId}/events?types[]=user.message&limit=100`);
    expect(messages.body.data.map((e: any) => e.content[0].text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    const first = await api.request('GET', `/sessions/${sessionId}/events?limit=2`);
    expect(first.body.has_more).toBe(true);
    const second = await api.request('GET', `/sessions/${sessionId}/events?limit=2&after_id=${first.body.last_id}`);
    expect(second.body.data.map((e: any) => e.content[0].text)).toEqual(['m2', 'm3']);
    const back = await api.request('GET', `/sessions/${sessionId}/events?limit=2&before_id=${second.body.first_id}`);
    expect(back.body.data.map((e: any) => e.id)).toEqual(first.body.data.map((e: any) => e.id));
    const desc = await api.request('GET', `/sessions/${sessionId}/events?order=desc&limit=1`);
    expect(desc.body.data[0].type).toBe('user.interrupt');
    expectError(await api.request('GET', `/sessions/${sessionId}/events?types[]=user.dance`), 400, 'invalid_request_error', 'types[]');
  });

  it('refuses a cursor that is an event of another session', async () => {
    const a = await createSession(api);
    const b = await createSession(api);
    const sent = await api.request('POST', `/sessions/${a.sessionId}/events`, { body: { events: [{ type: 'user.message', content: 'x' }] } });
    expectError(await api.request('GET', `/sessions/${b.sessionId}/events?after_id=${sent.body.data[0].id}`), 400, 'invalid_request_error', 'after_id');
  });

  it('keeps per-session sequence numbers gap-free under concurrent senders', async () => {
    const { sessionId } = await createSession(api);
    await Promise.all(Array.from({ length: 20 }, (_, i) => api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [{ type: 'user.message', content: `c${i}` }] } })));
    const seqs = await api.sql('SELECT seq FROM events WHERE session_id = $1 ORDER BY seq', [sessionId]);
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('answers 404 for an unknown session', async () => {
    expectError(await api.request('POST', '/sessions/sess_0123456789abcdef0123456789abcdef/events', { body: { events: [{ type: 'user.message', content: 'x' }] } }), 404, 'not_found_error');
  });
});
