import { existsSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { deltaChannel } from '@stratus/events';
import { eventually, pidsWithArgument, TEST_REDIS_URL } from '@stratus/testing';
import { ofType, startStack, textOf, type Stack } from './harness';

let stack: Stack;
beforeAll(async () => {
  // Short model time-outs: the hang tests below wait for them.
  stack = await startStack({ STRATUS_MODEL_TIMEOUT_MS: '3000', STRATUS_MODEL_IDLE_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  await stack?.close();
});

describe('custom tools', () => {
  it('pauses the turn with requires_action until the client answers, then resumes the same turn', async () => {
    const sessionId = await stack.session({
      agent: { tools: [{ type: 'custom', name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }] },
    });
    const first = stack.model.requests.length;
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }, { kind: 'text', text: 'It is sunny in Oslo.' });

    await stack.send(sessionId, { type: 'user.message', content: 'Weather in Oslo?' });
    const paused = await stack.idle(sessionId);
    const use = ofType(paused, 'agent.custom_tool_use')[0];
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Oslo' } });
    expect(use.evaluated_permission).toBeUndefined();
    expect(paused.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'requires_action', event_ids: [use.id] } });
    expect(stack.model.requests[first]!.body.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ]);

    // A message sent while the tool is pending waits for the answer (and then gets a turn of its own).
    stack.model.script({ kind: 'text', text: 'Anything else?' });
    await stack.send(sessionId, { type: 'user.message', content: 'Thanks' });
    expect((await stack.stratus.sessions.retrieve(sessionId)).status).toBe('idle');
    const [answer] = (await stack.send(sessionId, { type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: 'sunny, 21°C' })).data;
    const events = await stack.idle(sessionId, 3);

    const turnId = use.turn_id;
    const resumed = events.slice(paused.length);
    expect(resumed.map((e) => e.type)).toEqual([
      'user.message',
      'user.custom_tool_result',
      'session.status_running',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
      'session.status_running',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    expect(resumed.slice(1, 7).every((e) => e.turn_id === turnId)).toBe(true);
    expect(resumed[7].turn_id).not.toBe(turnId);
    expect(events.find((e) => e.id === answer.id).processed_at).not.toBeNull();
    expect(stack.model.requests[first + 1]!.body.messages.slice(-2)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: use.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: use.id, content: 'sunny, 21°C' },
    ]);
    expect(stack.model.requests[first + 2]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'Thanks' });
  });
});

describe('always_ask', () => {
  it('waits for confirmations: an allowed call runs, a denied one is reported to the model as denied', async () => {
    const sessionId = await stack.session({ agent: { tools: [{ type: 'agent_toolset_20260401', permission_policy: 'always_ask' }] } });
    const first = stack.model.requests.length;
    stack.model.script(
      {
        kind: 'tool_calls',
        calls: [
          { name: 'Bash', arguments: { command: 'echo allowed' } },
          { name: 'Bash', arguments: { command: 'echo denied > /dev/null; echo ran-anyway' } },
        ],
      },
      { kind: 'text', text: 'ok' },
    );
    await stack.send(sessionId, { type: 'user.message', content: 'go' });
    const paused = await stack.idle(sessionId);
    const uses = ofType(paused, 'agent.tool_use');
    expect(uses.map((u) => u.evaluated_permission)).toEqual(['ask', 'ask']);
    expect(ofType(paused, 'agent.tool_result')).toEqual([]);
    expect(paused.at(-1).stop_reason).toEqual({ type: 'requires_action', event_ids: uses.map((u) => u.id) });

    // Answering one of two leaves the turn paused.
    await stack.send(sessionId, { type: 'user.tool_confirmation', tool_use_id: uses[0].id, result: 'allow' });
    expect((await stack.stratus.sessions.retrieve(sessionId)).status).toBe('idle');
    await stack.send(sessionId, { type: 'user.tool_confirmation', tool_use_id: uses[1].id, result: 'deny', deny_message: 'not that one' });
    const events = await stack.idle(sessionId, 2);

    const results = ofType(events, 'agent.tool_result');
    expect(results).toEqual([
      expect.objectContaining({ tool_use_id: uses[0].id, is_error: false, content: [{ type: 'text', text: 'allowed' }] }),
      expect.objectContaining({ tool_use_id: uses[1].id, is_error: true }),
    ]);
    expect(textOf(results[1])).toMatch(/denied.*not that one/);
    expect(stack.model.requests[first + 1]!.body.messages.filter((m) => m.role === 'tool').map((m) => m.content)).toEqual(['allowed', textOf(results[1])]);
    expect(events.at(-1).stop_reason).toEqual({ type: 'end_turn' });
  });
});

describe('cancel and interrupt', () => {
  it('cancel during a model stream aborts it within milliseconds, and the session takes the next message', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'text', text: 'never finished', stallAfterChunks: 2 });
    const seen = stack.model.requests.length;
    await stack.send(sessionId, { type: 'user.message', content: 'talk' });
    await eventually(async () => (stack.model.requests.length > seen ? true : undefined), 5000, 'the model request');

    const reply = await stack.request('POST', `/sessions/${sessionId}/cancel`);
    expect(reply).toEqual({ status: 202, body: { id: sessionId, type: 'session', status: 'canceling' } });
    const events = await stack.idle(sessionId);
    await stack.model.settled();
    expect(stack.model.requests[seen]!.aborted).toBe(true);
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({ type: 'span.model_request_end', is_error: true }),
      expect.objectContaining({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } }),
    ]);
    expect(ofType(events, 'agent.message')).toEqual([]);
    // Stopped by the live control message, not by the stream's idle timeout (which would have retried).
    expect(ofType(events, 'session.error')).toEqual([]);

    stack.model.script({ kind: 'text', text: 'back again' });
    await stack.send(sessionId, { type: 'user.message', content: 'again' });
    expect(textOf(ofType(await stack.idle(sessionId, 2), 'agent.message')[0])).toBe('back again');
  });

  it('cancel during a long tool kills its process and reports the call as interrupted', async () => {
    const sessionId = await stack.session();
    const marker = `${31 + Math.random()}`;
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: `sleep ${marker}; echo finished` } }] });
    await stack.send(sessionId, { type: 'user.message', content: 'wait' });
    await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 10_000, 'the sleep process');

    expect((await stack.request('POST', `/sessions/${sessionId}/cancel`)).status).toBe(202);
    const events = await stack.idle(sessionId);
    const use = ofType(events, 'agent.tool_use')[0];
    expect(ofType(events, 'agent.tool_result')).toEqual([expect.objectContaining({ tool_use_id: use.id, is_error: true })]);
    expect(textOf(ofType(events, 'agent.tool_result')[0])).toMatch(/stopped the turn/);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    await eventually(async () => ((await pidsWithArgument(marker)).length === 0 ? true : undefined), 3000, 'the sleep process to be killed');
  });

  it('user.interrupt ends the running turn like cancel; on an idle session it is a no-op', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'hang' });
    await stack.send(sessionId, { type: 'user.message', content: 'hello?' });
    await stack.until(sessionId, 'span.model_request_start');
    const [interrupt] = (await stack.send(sessionId, { type: 'user.interrupt' })).data;
    expect(interrupt.processed_at).not.toBeNull();
    const events = await stack.idle(sessionId);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });

    await stack.send(sessionId, { type: 'user.interrupt' });
    expect((await stack.stratus.sessions.retrieve(sessionId)).status).toBe('idle');
    expect(await stack.events(sessionId)).toHaveLength(events.length + 1);
  });
});

describe('deleting a session', () => {
  it('stops its running turn, kills the command and removes its sandbox', async () => {
    const sessionId = await stack.session();
    const marker = `${41 + Math.random()}`;
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: `touch here.txt; sleep ${marker}` } }] });
    await stack.send(sessionId, { type: 'user.message', content: 'wait' });
    await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 10_000, 'the sleep process');
    const sandboxDir = path.join(stack.env.STRATUS_SANDBOX_DIR, sessionId);
    expect(existsSync(path.join(sandboxDir, 'workspace', 'here.txt'))).toBe(true);

    expect((await stack.request('DELETE', `/sessions/${sessionId}`)).status).toBe(200);
    await eventually(async () => ((await pidsWithArgument(marker)).length === 0 && !existsSync(sandboxDir) ? true : undefined), 5000, 'the command and the sandbox to be gone');
    expect(await stack.sql('SELECT count(*)::int AS n FROM events WHERE session_id = $1', [sessionId])).toEqual([{ n: 0 }]);
  });
});

describe('model errors', () => {
  it('retries 5xx, 429 and a stalled stream with backoff, reporting each as session.error retrying', async () => {
    const sessionId = await stack.session();
    stack.model.script(
      { kind: 'error', status: 503, message: 'overloaded' },
      { kind: 'text', text: 'cut off', stallAfterChunks: 1 },
      { kind: 'text', text: 'finally' },
    );
    await stack.send(sessionId, { type: 'user.message', content: 'hi' });
    const events = await stack.idle(sessionId);
    expect(ofType(events, 'session.error').map((e) => [e.error.type, e.error.retry_status])).toEqual([
      ['model_overloaded_error', 'retrying'],
      ['model_request_failed_error', 'retrying'],
    ]);
    expect(ofType(events, 'span.model_request_end').map((e) => e.is_error)).toEqual([true, true, false]);
    expect(textOf(ofType(events, 'agent.message')[0])).toBe('finally');
    expect(events.at(-1).stop_reason).toEqual({ type: 'end_turn' });

    const limited = await stack.session();
    stack.model.script({ kind: 'error', status: 429, retryAfter: 0 }, { kind: 'text', text: 'ok' });
    await stack.send(limited, { type: 'user.message', content: 'hi' });
    expect(ofType(await stack.idle(limited), 'session.error')[0].error).toMatchObject({ type: 'model_rate_limited_error', retry_status: 'retrying' });
  });

  it('gives up after the retries with retry_status exhausted, and at once on a rejected request', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'error', status: 500 }, { kind: 'error', status: 502 }, { kind: 'error', status: 500 });
    await stack.send(sessionId, { type: 'user.message', content: 'hi' });
    const events = await stack.idle(sessionId);
    expect(ofType(events, 'session.error').map((e) => e.error.retry_status)).toEqual(['retrying', 'retrying', 'exhausted']);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'error' } });

    const rejected = await stack.session();
    const before = stack.model.requests.length;
    stack.model.script({ kind: 'error', status: 400, message: 'bad request' });
    await stack.send(rejected, { type: 'user.message', content: 'hi' });
    const failed = await stack.idle(rejected);
    expect(ofType(failed, 'session.error').map((e) => e.error.retry_status)).toEqual(['terminal']);
    expect(stack.model.requests.length - before).toBe(1);
    expect((await stack.stratus.sessions.retrieve(rejected)).status).toBe('idle');
  });

  it('reports a provider error by our own message, status and error type, never by the provider\'s text', async () => {
    const sessionId = await stack.session();
    const leaky = 'Incorrect API key provided: sk-proj-Zq81xTSECRETkey. See https://llm-gateway.internal.example:8443/v1/keys (org-internal-42)';
    stack.model.script(
      { kind: 'error', status: 503, type: 'overloaded_error', message: leaky },
      { kind: 'error', status: 500, type: 'server_error', message: leaky, inStream: true },
      { kind: 'error', status: 401, type: 'sk-proj-Zq81xTSECRETkey', message: leaky },
    );
    await stack.send(sessionId, { type: 'user.message', content: 'hi' });
    const errors = ofType(await stack.idle(sessionId), 'session.error');
    expect(errors.map((e) => e.error)).toEqual([
      { type: 'model_overloaded_error', message: 'the model provider is overloaded (HTTP 503)', retry_status: 'retrying', provider_status: 503, provider_error_type: 'overloaded_error' },
      { type: 'model_request_failed_error', message: 'the model provider reported an error in its stream', retry_status: 'retrying', provider_error_type: 'server_error' },
      { type: 'model_request_failed_error', message: 'the model provider refused the credentials (HTTP 401)', retry_status: 'terminal', provider_status: 401 },
    ]);
    const stored = JSON.stringify(await stack.events(sessionId));
    for (const secret of ['sk-proj', 'SECRET', 'llm-gateway', 'org-internal', 'Incorrect API key']) expect(stored).not.toContain(secret);
  });

  it('never hangs on a model that sends no headers: the request times out and is retried', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'hang' }, { kind: 'text', text: 'there you are' });
    await stack.send(sessionId, { type: 'user.message', content: 'hi' });
    const events = await stack.idle(sessionId, 1, 20_000);
    expect(ofType(events, 'session.error')[0].error).toMatchObject({ type: 'model_request_failed_error', retry_status: 'retrying' });
    expect(textOf(ofType(events, 'agent.message')[0])).toBe('there you are');
  });
});

describe('live previews', () => {
  it('publishes event_start and event_delta frames carrying the id of the agent.message that is then stored', async () => {
    const sessionId = await stack.session();
    const subscriber = new Redis(TEST_REDIS_URL);
    const frames: any[] = [];
    try {
      await subscriber.subscribe(deltaChannel(stack.env.REDIS_KEY_PREFIX, sessionId));
      subscriber.on('message', (_channel, raw: string) => frames.push(JSON.parse(raw)));
      stack.model.script({ kind: 'text', text: 'alpha beta gamma', reasoning: 'thinking it over' });
      await stack.send(sessionId, { type: 'user.message', content: 'hi' });
      const events = await stack.idle(sessionId);
      const message = ofType(events, 'agent.message')[0];
      const thinking = ofType(events, 'agent.thinking')[0];
      expect(textOf(thinking)).toBe('thinking it over');
      await eventually(async () => (frames.length >= 8 ? true : undefined), 2000, 'the delta frames');
      expect(frames.filter((f) => f.type === 'event_start')).toEqual([
        { type: 'event_start', event: { id: thinking.id, type: 'agent.thinking' } },
        { type: 'event_start', event: { id: message.id, type: 'agent.message' } },
      ]);
      const text = (id: string) => frames.filter((f) => f.type === 'event_delta' && f.event_id === id).map((f) => f.delta.content.text).join('');
      expect(text(message.id)).toBe('alpha beta gamma');
      expect(text(thinking.id)).toBe('thinking it over');
      expect(frames.find((f) => f.type === 'event_delta')).toEqual({ type: 'event_delta', event_id: thinking.id, delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'thinking' } } });
    } finally {
      subscriber.disconnect();
    }
  });
});
