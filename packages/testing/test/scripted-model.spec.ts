import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';

describe('scripted model server, through the openai SDK', () => {
  let model: ScriptedModel;
  let client: OpenAI;

  beforeEach(async () => {
    model = await startScriptedModel();
    client = new OpenAI({ baseURL: model.baseURL, apiKey: 'test-key', maxRetries: 0 });
  });
  afterEach(async () => {
    await model.close();
  });

  const user = (text: string) => [{ role: 'user' as const, content: text }];

  it('streams a text reply in several content deltas and records the request', async () => {
    model.script({ kind: 'text', text: 'Hello there, integrator' });
    const stream = await client.chat.completions.create({
      model: 'm1',
      messages: user('hi'),
      stream: true,
      tools: [{ type: 'function', function: { name: 'Bash', parameters: { type: 'object' } } }],
    });
    const deltas: string[] = [];
    let finishReason: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0]!;
      if (choice.delta.content) deltas.push(choice.delta.content);
      finishReason = choice.finish_reason ?? finishReason;
    }

    expect(deltas).toEqual(['Hello', ' there,', ' integrator']);
    expect(finishReason).toBe('stop');
    expect(model.requests).toHaveLength(1);
    const [request] = model.requests;
    expect(request!.body).toMatchObject({ model: 'm1', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(request!.body.tools?.[0]?.function?.name).toBe('Bash');
    expect(request!.headers.authorization).toBe('Bearer test-key');
    expect(request!.aborted).toBe(false);
    expect(model.pending).toBe(0);
  });

  it('streams tool calls whose arguments, sent in pieces, the SDK reassembles', async () => {
    model.script({
      kind: 'tool_calls',
      text: 'Let me look.',
      calls: [
        { id: 'call_a', name: 'Bash', arguments: { command: 'ls -la /workspace && cat README.md' } },
        { name: 'Read', arguments: { path: '/workspace/package.json' } },
      ],
    });
    const argumentPieces: string[] = [];
    const stream = client.chat.completions.stream({ model: 'm1', messages: user('look around') });
    stream.on('chunk', (chunk) => {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) if (call.function?.arguments) argumentPieces.push(call.function.arguments);
    });
    const completion = await stream.finalChatCompletion();

    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Let me look.');
    const calls = choice.message.tool_calls!.map((c) => (c.type === 'function' ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : c));
    expect(calls).toEqual([
      ['call_a', 'Bash', { command: 'ls -la /workspace && cat README.md' }],
      ['call_0_1', 'Read', { path: '/workspace/package.json' }],
    ]);
    expect(argumentPieces.length).toBeGreaterThan(4);
  });

  it('answers without streaming with one JSON completion', async () => {
    model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: '{"command":"pwd"}' }], usage: { prompt_tokens: 11, completion_tokens: 3 } });
    const completion = await client.chat.completions.create({ model: 'm1', messages: user('where am I?') });

    expect(completion.choices[0]!.message.tool_calls).toEqual([{ id: 'call_0_0', type: 'function', function: { name: 'Bash', arguments: '{"command":"pwd"}' } }]);
    expect(completion.choices[0]!.message.content).toBeNull();
    expect(completion.usage).toEqual({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    expect(model.requests[0]!.body.stream).toBeUndefined();
  });

  it('streams reasoning_content deltas before the reply', async () => {
    model.script({ kind: 'text', reasoning: ['The user ', 'greets me.'], text: 'Hi!' });
    const stream = await client.chat.completions.create({ model: 'm1', messages: user('hello'), stream: true });
    const order: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) order.push(`thinking:${delta.reasoning_content}`);
      if (delta?.content) order.push(`text:${delta.content}`);
    }
    expect(order).toEqual(['thinking:The user ', 'thinking:greets me.', 'text:Hi!']);
  });

  it('sends a final usage chunk only when stream_options.include_usage is set', async () => {
    model.script({ kind: 'text', text: 'counted', usage: { prompt_tokens: 40, completion_tokens: 2 } }, { kind: 'text', text: 'not counted' });

    const withUsage = await client.chat.completions.create({ model: 'm1', messages: user('a'), stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 40, completion_tokens: 2, total_tokens: 42 } });

    const withoutUsage = await client.chat.completions.create({ model: 'm1', messages: user('b'), stream: true });
    for await (const chunk of withoutUsage) expect(chunk.usage ?? null).toBeNull();
  });

  it('estimates usage when the step does not script it', async () => {
    model.script({ kind: 'text', text: 'a reply of some length' });
    const completion = await client.chat.completions.create({ model: 'm1', messages: user('a question of some length') });
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('surfaces an error step as the SDK APIError with status, OpenAI error body and retry-after', async () => {
    model.script({ kind: 'error', status: 429, message: 'slow down', retryAfter: 7 });
    const error = await client.chat.completions.create({ model: 'm1', messages: user('hi'), stream: true }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(429);
    expect(apiError.message).toContain('slow down');
    expect(apiError.type).toBe('rate_limit_error');
    expect(apiError.headers?.get('retry-after')).toBe('7');
  });

  it('reports an in-stream error step inside a 200 event stream, which the SDK raises without a status', async () => {
    model.script({ kind: 'error', status: 500, type: 'server_error', message: 'upstream broke', inStream: true });
    const stream = await client.chat.completions.create({ model: 'm1', messages: user('hi'), stream: true });
    const error = await (async () => {
      for await (const chunk of stream) void chunk;
    })().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBeUndefined();
    expect(apiError.message).toContain('upstream broke');
    expect(apiError.type).toBe('server_error');
  });

  it('answers a clear 500 when the script is empty', async () => {
    const error = (await client.chat.completions.create({ model: 'm1', messages: user('unexpected') }).catch((e: unknown) => e)) as APIError;
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(500);
    expect(error.message).toContain('no step scripted for request #0');
    expect(error.message).toContain('unexpected');
  });

  it('records a client abort of a stream that stalls mid-way', async () => {
    model.script({ kind: 'text', text: 'one two three four', stallAfterChunks: 2 });
    const abort = new AbortController();
    const stream = await client.chat.completions.create({ model: 'm1', messages: user('hi'), stream: true }, { signal: abort.signal });
    const received: string[] = [];
    for await (const chunk of stream) {
      received.push(chunk.choices[0]!.delta.content ?? '');
      if (received.length === 2) abort.abort();
    }
    await model.settled();

    expect(received).toEqual(['', 'one']);
    expect(model.requests[0]!.aborted).toBe(true);
  });

  it('hangs before the headers until the SDK times out, and records the abort', async () => {
    model.script({ kind: 'hang' });
    const started = Date.now();
    const error = await client.chat.completions.create({ model: 'm1', messages: user('hi') }, { timeout: 200 }).catch((e: unknown) => e);
    await model.settled();

    // APIConnectionTimeoutError outside jest; inside, the SDK fails to recognise the AbortError that
    // fetch throws from another realm and reports its parent class.
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(model.requests[0]!.aborted).toBe(true);
  });

  it('delays the headers of a slow step and paces its chunks', async () => {
    model.script({ kind: 'text', text: 'slow but sure', delayMs: 150, chunkDelayMs: 50 });
    const started = Date.now();
    const stream = client.chat.completions.stream({ model: 'm1', messages: user('hi') });
    const completion = await stream.finalChatCompletion();

    expect(completion.choices[0]!.message.content).toBe('slow but sure');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150 + 4 * 50 - 10);
  });

  it('lets a stream be abandoned with the SDK abort while a chunk delay is pending', async () => {
    model.script({ kind: 'text', text: 'a b c d e f', chunkDelayMs: 1_000 });
    const stream = client.chat.completions.stream({ model: 'm1', messages: user('hi') });
    stream.on('chunk', () => stream.abort());
    await expect(stream.finalChatCompletion()).rejects.toBeInstanceOf(APIUserAbortError);
    await model.settled();
    expect(model.requests[0]!.aborted).toBe(true);
  });

  it('rejects a body without messages with a 400 and consumes no step', async () => {
    model.script({ kind: 'text', text: 'kept' });
    const res = await fetch(`${model.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm1' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(model.pending).toBe(1);
    expect(model.requests).toHaveLength(0);
  });

  it('lists its models', async () => {
    const listed = await startScriptedModel({ models: ['alpha', 'beta'] });
    try {
      const sdk = new OpenAI({ baseURL: listed.baseURL, apiKey: 'k', maxRetries: 0 });
      const page = await sdk.models.list();
      expect(page.data.map((m) => m.id)).toEqual(['alpha', 'beta']);
    } finally {
      await listed.close();
    }
  });
});

describe('scripted model server with a default responder', () => {
  it('answers every request that the script does not cover, scripted steps first', async () => {
    const model = await startScriptedModel({ respond: (request) => ({ kind: 'text', text: `echo ${request.index}` }) });
    try {
      const client = new OpenAI({ baseURL: model.baseURL, apiKey: 'k', maxRetries: 0 });
      model.script({ kind: 'text', text: 'scripted' });
      const replies = [];
      for (let i = 0; i < 3; i++) {
        const completion = await client.chat.completions.create({ model: 'bench', messages: [{ role: 'user', content: 'go' }] });
        replies.push(completion.choices[0]!.message.content);
      }
      expect(replies).toEqual(['scripted', 'echo 1', 'echo 2']);
    } finally {
      await model.close();
    }
  });
});
