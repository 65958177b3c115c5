import { ofType, startStack, textOf, type Stack } from './harness';

/** The default STRATUS_TOOL_RESULT_MAX_BYTES. */
const CAP = 256 * 1024;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The tool messages of a chat completion request the scripted model received. */
function toolMessages(requestIndex: number): { tool_call_id: string; content: string }[] {
  const messages = stack.model.requests[requestIndex]!.body.messages as { role: string; tool_call_id?: string; content?: unknown }[];
  return messages.filter((m) => m.role === 'tool').map((m) => ({ tool_call_id: m.tool_call_id!, content: m.content as string }));
}

describe('tool results', () => {
  it('reach the event log and the model capped, a 100 MiB command output as its beginning and end with a note', async () => {
    const sessionId = await stack.session();
    const first = stack.model.requests.length;
    const command = "echo BEGIN; head -c 104857600 /dev/zero | tr '\\0' a; echo; echo END";
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command } }] }, { kind: 'text', text: 'that was long' });
    await stack.send(sessionId, { type: 'user.message', content: 'print a lot' });
    const events = await stack.idle(sessionId, 1, 60_000);

    const [result] = ofType(events, 'agent.tool_result');
    const text = textOf(result);
    expect(result.is_error).toBe(false);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(CAP);
    expect(text).toMatch(/^BEGIN\naaa/);
    expect(text).toMatch(/aaa\nEND$/);
    // 6 + 104 857 600 + 1 + 4 bytes of stdout.
    expect(text).toMatch(/\n\[output truncated: 104857611 bytes, showing the first \d+ and last \d+\]\n/);

    const [toModel] = toolMessages(first + 1);
    expect(toModel).toEqual({ tool_call_id: ofType(events, 'agent.tool_use')[0].id, content: text });
  }, 90_000);

  it('page through a large file with Read: a page, a note with the next offset, and the next page from it', async () => {
    const sessionId = await stack.session();
    const first = stack.model.requests.length;
    stack.model.script(
      {
        kind: 'tool_calls',
        calls: [
          { name: 'Bash', arguments: { command: "seq 1 1000000 > big.txt; yes \"$(head -c 1000 /dev/zero | tr '\\0' x)\" | head -n 5000 > wide.txt" } },
          { name: 'Read', arguments: { file_path: 'big.txt' } },
          { name: 'Read', arguments: { file_path: 'wide.txt' } },
        ],
      },
      { kind: 'tool_calls', calls: [{ name: 'Read', arguments: { file_path: 'big.txt', offset: 2001 } }] },
      { kind: 'text', text: 'read it' },
    );
    await stack.send(sessionId, { type: 'user.message', content: 'read the big files' });
    const events = await stack.idle(sessionId, 1, 60_000);

    const results = ofType(events, 'agent.tool_result').map(textOf);
    expect(results).toHaveLength(4);
    const [, page1, wide, page2] = results as [string, string, string, string];
    expect(page1.startsWith('     1\t1\n     2\t2\n')).toBe(true);
    expect(page1.endsWith('  2000\t2000\n[lines 1-2000 of 1000000; read on with offset 2001]')).toBe(true);
    expect(page2.startsWith('  2001\t2001\n')).toBe(true);
    expect(page2.endsWith('  4000\t4000\n[lines 2001-4000 of 1000000; read on with offset 4001]')).toBe(true);

    // 5000 lines of 1000 characters: the page stops at the cap, on a whole line, and says where to go on.
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(CAP);
    const shown = /\n\[lines 1-(\d+) of 5000; read on with offset (\d+)\]$/.exec(wide);
    expect(shown).not.toBeNull();
    expect(Number(shown![1])).toBeGreaterThan(200);
    expect(Number(shown![1])).toBeLessThan(2000);
    expect(Number(shown![2])).toBe(Number(shown![1]) + 1);
    expect(wide).not.toContain('[output truncated');

    expect(toolMessages(first + 1).map((m) => m.content)).toEqual(results.slice(0, 3));
    expect(toolMessages(first + 2).at(-1)!.content).toBe(page2);
  }, 90_000);

  it('cap an error that echoes a huge argument the same way', async () => {
    const sessionId = await stack.session();
    // The runner's message quotes the invalid regular expression whole.
    const pattern = `(${'a'.repeat(300_000)}`;
    // In 4 KiB pieces: 37,500 pieces of 8 characters kept a loaded machine's event loop busy long enough
    // to lose the turn job's lock (a known limit of draining a huge reply, not what this test is about),
    // and the takeover then took the next scripted answer.
    stack.model.script({ kind: 'tool_calls', argumentPieceLength: 4096, calls: [{ name: 'Grep', arguments: { pattern } }] }, { kind: 'text', text: 'oh well' });
    await stack.send(sessionId, { type: 'user.message', content: 'search for it' });
    const events = await stack.idle(sessionId, 1, 60_000);
    // The whole turn first: a failure then shows what happened instead of a missing result.
    expect(events.map((e) => (e.type === 'session.error' ? `session.error: ${e.error.message}` : e.type))).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'agent.tool_use',
      'span.model_request_end',
      'agent.tool_result',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    const [result] = ofType(events, 'agent.tool_result');
    const text = textOf(result);
    expect(result.is_error).toBe(true);
    expect(text.startsWith('Grep failed: invalid regular expression: Invalid regular expression: /(aaa')).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(CAP);
    expect(text).toMatch(/\n\[output truncated: \d+ bytes, showing the first \d+ and last \d+\]\n/);
  }, 90_000);
});
