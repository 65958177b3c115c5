import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SANDBOX_LIFECYCLE_PRODUCER, TURN_PRODUCER } from '@stratus/nest-common';
import { sandboxReapJobId, type SandboxLifecycleProducer, type SessionTurnProducer } from '@stratus/queues';
import { TurnRecoveryService } from '@stratus/worker';
import { eventually, pidsWithArgument } from '@stratus/testing';
import { ofType, startStack, textOf, type Stack } from './harness';

let stack: Stack;
beforeAll(async () => {
  // Long enough that a sandbox is still up when a loaded machine gets round to looking after the turn.
  stack = await startStack({ STRATUS_SANDBOX_IDLE_TIMEOUT_MS: '6000' });
});
afterAll(async () => {
  await stack?.close();
});

describe('a turn', () => {
  it('runs a tool in the sandbox and answers, emitting the documented events in order with gap-free sequence numbers', async () => {
    const sessionId = await stack.session();
    const first = stack.model.requests.length;
    stack.model.script(
      { kind: 'tool_calls', text: 'Let me look.', calls: [{ name: 'Bash', arguments: { command: 'echo hello > note.txt && cat note.txt' } }], usage: { prompt_tokens: 11, completion_tokens: 7 } },
      { kind: 'text', text: 'The file says hello.', usage: { prompt_tokens: 23, completion_tokens: 5 } },
    );

    const [message] = (await stack.send(sessionId, { type: 'user.message', content: 'What is in the note?' })).data;
    const events = await stack.idle(sessionId);

    expect(events.map((e) => e.type)).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'agent.message',
      'agent.tool_use',
      'span.model_request_end',
      'agent.tool_result',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    const turnId = events[1].turn_id;
    expect(turnId).toMatch(/^turn_[0-9a-f]{32}$/);
    expect(events.every((e) => e.turn_id === turnId)).toBe(true);
    expect(events[0]).toMatchObject({ id: message.id, processed_at: expect.any(String) });
    const toolUse = ofType(events, 'agent.tool_use')[0];
    expect(toolUse).toMatchObject({ name: 'Bash', input: { command: 'echo hello > note.txt && cat note.txt' }, evaluated_permission: 'allow' });
    expect(ofType(events, 'agent.tool_result')[0]).toMatchObject({ tool_use_id: toolUse.id, is_error: false, content: [{ type: 'text', text: 'hello' }] });
    const [start1, start2] = ofType(events, 'span.model_request_start');
    expect(start1).toMatchObject({ model: 'scripted-model' });
    expect(ofType(events, 'span.model_request_end')).toEqual([
      expect.objectContaining({ model_request_start_id: start1.id, model_usage: { input_tokens: 11, output_tokens: 7 }, is_error: false }),
      expect.objectContaining({ model_request_start_id: start2.id, model_usage: { input_tokens: 23, output_tokens: 5 }, is_error: false }),
    ]);
    expect(textOf(ofType(events, 'agent.message')[1])).toBe('The file says hello.');
    expect(events.at(-1)).toMatchObject({ stop_reason: { type: 'end_turn' } });

    const seqs = await stack.sql<{ seq: number }>('SELECT seq FROM events WHERE session_id = $1 ORDER BY seq', [sessionId]);
    expect(seqs.map((r) => r.seq)).toEqual(events.map((_, i) => i + 1));

    const session = (await stack.stratus.sessions.retrieve(sessionId));
    expect(session).toMatchObject({ status: 'idle', usage: { input_tokens: 34, output_tokens: 12 }, stats: { turns: 1 } });
    expect(session.stats.active_seconds).toBeGreaterThan(0);

    // The second request carries the whole conversation: the tool call and its result under one id.
    const second = stack.model.requests[first + 1]!.body;
    expect(second.stream).toBe(true);
    expect(second.messages).toEqual([
      { role: 'user', content: 'What is in the note?' },
      { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: toolUse.id, type: 'function', function: { name: 'Bash', arguments: JSON.stringify(toolUse.input) } }] },
      { role: 'tool', tool_call_id: toolUse.id, content: 'hello' },
    ]);
    expect(stack.model.requests[first]!.body.tools!.map((t) => t.function!.name)).toEqual(['Bash', 'Read', 'Write', 'Edit', 'Glob', 'Grep', 'WebFetch']);
  });
});

describe('tools', () => {
  it('offers only the enabled built-in tools and refuses paths outside the workspace', async () => {
    const sessionId = await stack.session({ agent: { tools: [{ type: 'agent_toolset_20260401', enabled_tools: ['Read', 'Write'] }] } });
    const first = stack.model.requests.length;
    stack.model.script(
      {
        kind: 'tool_calls',
        calls: [
          { name: 'Read', arguments: { file_path: '/etc/passwd' } },
          { name: 'Write', arguments: { file_path: '../escape.txt', content: 'x' } },
          { name: 'Bash', arguments: { command: 'true' } },
          { name: 'Write', arguments: { file_path: 'inside.txt', content: 'ok' } },
        ],
      },
      { kind: 'text', text: 'done' },
    );
    await stack.send(sessionId, { type: 'user.message', content: 'try things' });
    const events = await stack.idle(sessionId);

    expect(stack.model.requests[first]!.body.tools!.map((t) => t.function!.name)).toEqual(['Read', 'Write']);
    const results = ofType(events, 'agent.tool_result');
    expect(results.map((r) => r.is_error)).toEqual([true, true, true, false]);
    expect(textOf(results[0])).toMatch(/outside the workspace/);
    expect(textOf(results[1])).toMatch(/outside the workspace/);
    expect(textOf(results[2])).toMatch(/no tool named "Bash"/);
    expect(textOf(results[3])).toMatch(/Wrote 2 bytes to inside\.txt/);
  });

  it('passes the session\'s environment variables to the sandbox and none of the worker\'s own', async () => {
    const sessionId = await stack.session({ session: { environment_variables: { GREETING: 'hi there' } } });
    stack.model.script(
      { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo "$GREETING"; env | grep -c -E "DATABASE_URL|REDIS_URL|STRATUS_MODEL_PROVIDERS|STRATUS_RUNNER_TOKEN" || true' } }] },
      { kind: 'text', text: 'done' },
    );
    await stack.send(sessionId, { type: 'user.message', content: 'env?' });
    const events = await stack.idle(sessionId);
    expect(textOf(ofType(events, 'agent.tool_result')[0])).toBe('hi there\n0');
  });

  it('gives Bash no route to the host loopback, whatever the networking (egress only through the proxy)', async () => {
    const server = createServer((_req, res) => res.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const probe = `(exec 3<>/dev/tcp/127.0.0.1/${port} && echo reached) 2>/dev/null || echo unreachable`;
    try {
      const closed = await stack.session({ environment: { config: { type: 'cloud', networking: { type: 'none' } } } });
      const open = await stack.session();
      for (const sessionId of [closed, open]) {
        stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: probe } }] }, { kind: 'text', text: 'done' });
        await stack.send(sessionId, { type: 'user.message', content: 'probe' });
        await stack.idle(sessionId);
      }
      expect(textOf(ofType(await stack.events(closed), 'agent.tool_result')[0])).toBe('unreachable');
      expect(textOf(ofType(await stack.events(open), 'agent.tool_result')[0])).toBe('unreachable');
    } finally {
      server.close();
    }
  });
});

describe('sandboxes', () => {
  it('starts one with the first turn and stops it once the session has been idle for the timeout', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo kept > file.txt' } }] }, { kind: 'text', text: 'ok' });
    await stack.send(sessionId, { type: 'user.message', content: 'write' });
    await stack.idle(sessionId);
    const workspace = path.join(stack.env.STRATUS_SANDBOX_DIR, sessionId, 'workspace');
    expect((await pidsWithArgument(workspace)).length).toBeGreaterThan(0);
    // The reap waits on the queue, not in this process: it survives a restart and runs on any worker.
    const lifecycle = stack.app.get<SandboxLifecycleProducer>(SANDBOX_LIFECYCLE_PRODUCER).queue;
    await eventually(async () => ((await lifecycle.getJob(sandboxReapJobId(sessionId)))?.opts.delay === 6000 ? true : undefined), 5000, 'the delayed reap');
    await eventually(async () => ((await pidsWithArgument(workspace)).length === 0 ? true : undefined), 60_000, 'the idle sandbox to be stopped');

    // A later turn starts a new sandbox.
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo again' } }] }, { kind: 'text', text: 'ok' });
    await stack.send(sessionId, { type: 'user.message', content: 'again' });
    const events = await stack.idle(sessionId, 2);
    expect(textOf(ofType(events, 'agent.tool_result')[1])).toBe('again');
  }, 120_000);
});

describe('scheduling', () => {
  it('handles messages sent during a turn in order, in the next turn, one turn at a time', async () => {
    const sessionId = await stack.session();
    const first = stack.model.requests.length;
    stack.model.script({ kind: 'text', text: 'one two three four', chunkDelayMs: 80 }, { kind: 'text', text: 'second answer' });

    await stack.send(sessionId, { type: 'user.message', content: 'first' });
    await stack.until(sessionId, 'span.model_request_start');
    expect((await stack.stratus.sessions.retrieve(sessionId)).status).toBe('processing');
    const [queued] = (await stack.send(sessionId, { type: 'user.message', content: 'second' })).data;
    expect(queued.processed_at).toBeNull();
    const events = await stack.idle(sessionId, 2);

    const turns = ofType(events, 'session.status_running').map((e) => e.turn_id);
    expect(turns).toHaveLength(2);
    expect(events.map((e) => `${e.type}${e.turn_id === turns[1] ? '#2' : ''}`)).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'user.message#2',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
      'session.status_running#2',
      'span.model_request_start#2',
      'agent.message#2',
      'span.model_request_end#2',
      'session.status_idle#2',
    ]);
    expect(stack.model.requests[first + 1]!.body.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'one two three four' },
      { role: 'user', content: 'second' },
    ]);
    expect((await stack.stratus.sessions.retrieve(sessionId)).stats.turns).toBe(2);
  });

  it('runs the initial events of a new session', async () => {
    stack.model.script({ kind: 'text', text: 'hello from the first turn' });
    const sessionId = await stack.session({ session: { initial_events: [{ type: 'user.message', content: 'hi' }] } });
    const events = await stack.idle(sessionId);
    expect(textOf(ofType(events, 'agent.message')[0])).toBe('hello from the first turn');
  });

  it('ends a turn that needs more model calls than the limit with max_iterations', async () => {
    const sessionId = await stack.session();
    const first = stack.model.requests.length;
    for (let i = 0; i < 4; i++) stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: `echo ${i}` } }] });
    await stack.send(sessionId, { type: 'user.message', content: 'loop' });
    const events = await stack.idle(sessionId);
    expect(stack.model.requests.length - first).toBe(4);
    expect(ofType(events, 'agent.tool_result')).toHaveLength(4);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'max_iterations' } });
  });

  it('leaves a session to the job that runs it when a duplicate job arrives', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'text', text: 'slow answer', delayMs: 600 });
    await stack.send(sessionId, { type: 'user.message', content: 'hi' });
    await stack.until(sessionId, 'span.model_request_start');
    await stack.app.get<SessionTurnProducer>(TURN_PRODUCER).enqueue(sessionId, 9999);
    const events = await stack.idle(sessionId);
    expect(ofType(events, 'session.status_running')).toHaveLength(1);
    expect(ofType(events, 'span.model_request_start')).toHaveLength(1);
  });

  it('recovers a processing session whose turn job was never enqueued', async () => {
    const sessionId = await stack.session();
    const [{ workspace_id: workspaceId }] = await stack.sql('SELECT workspace_id FROM sessions WHERE id = $1', [sessionId]);
    // What the API leaves behind when Redis fails right after it committed a wake-up.
    await stack.sql(
      `WITH s AS (UPDATE sessions SET status = 'processing', last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
       INSERT INTO events (id, session_id, workspace_id, seq, type, payload) SELECT $2, $1, $3, last_seq, 'user.message', $4 FROM s`,
      [sessionId, `evt_${'0'.repeat(31)}1`, workspaceId, { content: [{ type: 'text', text: 'lost' }] }],
    );
    stack.model.script({ kind: 'text', text: 'found you' });
    expect(await stack.app.get(TurnRecoveryService).sweep(0)).toEqual([sessionId]);
    const events = await stack.idle(sessionId);
    expect(textOf(ofType(events, 'agent.message')[0])).toBe('found you');
  });
});
