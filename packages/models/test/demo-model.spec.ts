import type OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { ModelCatalog } from '../src/catalog';
import { createModelClient } from '../src/client';
import { DEMO_MODEL_ID, loadModelsConfig } from '../src/config';
import { requestedCommand } from '../src/demo-model';

const BASH: ChatCompletionTool = {
  type: 'function',
  function: { name: 'Bash', description: 'Run a shell command', parameters: { type: 'object', properties: { command: { type: 'string' } } } },
};

describe('the stratus-demo model through the openai SDK', () => {
  let client: OpenAI;

  beforeAll(() => {
    ({ client } = createModelClient(new ModelCatalog(loadModelsConfig({})), DEMO_MODEL_ID));
  });

  /** Streams a completion, returning the SDK's reassembled result and how many content deltas arrived. */
  async function stream(messages: ChatCompletionMessageParam[], tools?: ChatCompletionTool[]) {
    const runner = client.chat.completions.stream({ model: DEMO_MODEL_ID, messages, ...(tools ? { tools } : {}) });
    let contentDeltas = 0;
    let argumentDeltas = 0;
    runner.on('chunk', (chunk) => {
      const delta = chunk.choices[0]?.delta;
      if (delta?.content) contentDeltas += 1;
      if (delta?.tool_calls?.[0]?.function?.arguments) argumentDeltas += 1;
    });
    const completion = await runner.finalChatCompletion();
    return { choice: completion.choices[0]!, contentDeltas, argumentDeltas };
  }

  it('replies plainly and honestly, streamed in several deltas', async () => {
    const { choice, contentDeltas } = await stream([{ role: 'user', content: 'What is the capital of France?' }], [BASH]);

    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.tool_calls ?? []).toEqual([]);
    const text = choice.message.content!;
    expect(text).toContain('Stratus demo model (offline, scripted — not an LLM)');
    expect(text).toContain('You said: "What is the capital of France?"');
    expect(text).toContain('STRATUS_MODEL_PROVIDERS');
    expect(text).toContain('put it in backticks');
    expect(contentDeltas).toBeGreaterThan(5);
  });

  it('offers to run commands only when the request offers the Bash tool', async () => {
    const { choice } = await stream([{ role: 'user', content: 'hello' }]);
    expect(choice.message.content).toContain('You said: "hello"');
    expect(choice.message.content).not.toContain('backticks');
  });

  it('calls the Bash tool with the command a message asks to run', async () => {
    const { choice, argumentDeltas } = await stream([{ role: 'user', content: 'Please run `ls -la /workspace` for me' }], [BASH]);

    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('Bash');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ command: 'ls -la /workspace' });
    expect(call.id).toMatch(/^call_demo_/);
    expect(argumentDeltas).toBeGreaterThan(1);
  });

  it('says it cannot run a command when the request offers no Bash tool', async () => {
    const { choice } = await stream([{ role: 'user', content: 'run uname -a' }], []);

    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.content).toContain('You asked me to run `uname -a`, but this agent offers no Bash tool');
  });

  it('answers a tool result by quoting the tool output', async () => {
    const { choice } = await stream(
      [
        { role: 'user', content: '$ echo hello' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_demo_1', type: 'function', function: { name: 'Bash', arguments: '{"command":"echo hello"}' } }] },
        { role: 'tool', tool_call_id: 'call_demo_1', content: [{ type: 'text', text: 'hello\n' }] },
      ],
      [BASH],
    );

    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.content).toContain('```\nhello\n\n```');
    expect(choice.message.content).toContain('not an LLM');
  });

  it('answers without streaming, with usage estimates', async () => {
    const completion = await client.chat.completions.create({ model: DEMO_MODEL_ID, messages: [{ role: 'user', content: '`pwd`' }], tools: [BASH] });

    const message = completion.choices[0]!.message;
    expect(message.tool_calls).toEqual([{ id: 'call_demo_1', type: 'function', function: { name: 'Bash', arguments: '{"command":"pwd"}' } }]);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('sends a usage chunk last when stream_options.include_usage is set', async () => {
    const chunks = [];
    const response = await client.chat.completions.create({ model: DEMO_MODEL_ID, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    for await (const chunk of response) chunks.push(chunk);

    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) } });
    expect(chunks.slice(0, -1).every((c) => !c.usage)).toBe(true);
  });

  it('stops streaming when the caller aborts', async () => {
    const abort = new AbortController();
    const response = await client.chat.completions.create({ model: DEMO_MODEL_ID, messages: [{ role: 'user', content: 'a long enough message' }], stream: true }, { signal: abort.signal });
    let received = 0;
    for await (const _chunk of response) {
      received += 1;
      abort.abort();
    }
    expect(received).toBe(1);
  });

  it('answers 404 for another model id, as an OpenAI endpoint does', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });
  });
});

describe('requestedCommand', () => {
  it.each([
    ['run ls -la', 'ls -la'],
    ['Run  npm test', 'npm test'],
    ['$ echo $HOME', 'echo $HOME'],
    ['please check `git status` now', 'git status'],
    ['try this:\n```bash\nset -e\nmake test\n```', 'set -e\nmake test'],
  ])('finds the command in %j', (text, command) => {
    expect(requestedCommand(text)).toBe(command);
  });

  it.each(['hello there', 'how do I run tests?', 'I ran `` once', '$HOME is where'])('finds none in %j', (text) => {
    expect(requestedCommand(text)).toBeUndefined();
  });
});
