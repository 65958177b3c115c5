import { closedPort, startSseOnlyMcpServer, startStatefulMcpServer, startTestMcpServer, type StatefulMcpServer, type TestMcpServer } from './support/mcp-server';
import { ofType, startStack, type Stack } from './harness';

// MCP toolsets end to end: a real MCP server (the SDK's) on loopback, allowed through
// STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS; the API and the worker in one process; a scripted model.

const TOKEN = 'mcp-bearer-7d1e0c9a4b2f';
let stack: Stack;
let mcp: TestMcpServer;
let stateful: StatefulMcpServer;
let legacy: Awaited<ReturnType<typeof startSseOnlyMcpServer>>;
let deadPort: number;
beforeAll(async () => {
  mcp = await startTestMcpServer(TOKEN);
  stateful = await startStatefulMcpServer();
  legacy = await startSseOnlyMcpServer();
  deadPort = await closedPort();
  stack = await startStack({
    STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${mcp.port},127.0.0.1:${deadPort},127.0.0.1:${stateful.port},127.0.0.1:${legacy.port}`,
    STRATUS_MCP_CONNECT_TIMEOUT_MS: '5000',
  });
});
afterAll(async () => {
  await stack?.close();
  await mcp?.close();
  await stateful?.close();
  await legacy?.close();
});

const weatherAgent = (url: string, toolset: Record<string, unknown> = {}) => ({
  tools: [{ type: 'mcp_toolset', mcp_server_name: 'weather', ...toolset }],
  mcp_servers: [{ type: 'url', name: 'weather', url }],
});

describe('MCP toolsets', () => {
  it('offers the server’s tools to the model, runs the call through the MCP client and logs it as agent.mcp_tool_use / agent.mcp_tool_result', async () => {
    const sessionId = await stack.session({ agent: weatherAgent(mcp.url) });
    const first = stack.model.requests.length;
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'mcp__weather__forecast', arguments: { city: 'Oslo' } }] }, { kind: 'text', text: 'Sunny.' });

    await stack.send(sessionId, { type: 'user.message', content: 'Weather in Oslo?' });
    const events = await stack.idle(sessionId);

    const offered = stack.model.requests[first]!.body.tools;
    expect(offered).toEqual([
      {
        type: 'function',
        function: { name: 'mcp__weather__forecast', description: 'The weather forecast of a city', parameters: expect.objectContaining({ type: 'object', properties: { city: { type: 'string' } } }) },
      },
      { type: 'function', function: expect.objectContaining({ name: 'mcp__weather__stall' }) },
    ]);
    const [use] = ofType(events, 'agent.mcp_tool_use');
    expect(use).toMatchObject({ name: 'forecast', mcp_server_name: 'weather', input: { city: 'Oslo' }, evaluated_permission: 'allow' });
    expect(ofType(events, 'agent.tool_use')).toEqual([]);
    expect(ofType(events, 'agent.mcp_tool_result')).toEqual([
      expect.objectContaining({ mcp_tool_use_id: use.id, content: [{ type: 'text', text: 'Sunny in Oslo' }], is_error: false }),
    ]);
    expect(mcp.calls).toContainEqual({ tool: 'forecast', args: { city: 'Oslo' } });
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    // The model sees its call under the name it used, and the result.
    const second = stack.model.requests[first + 1]!.body.messages;
    expect(second.find((m) => m.role === 'assistant')?.tool_calls).toEqual([expect.objectContaining({ id: use.id, function: expect.objectContaining({ name: 'mcp__weather__forecast' }) })]);
    expect(second.find((m) => m.role === 'tool')).toMatchObject({ tool_call_id: use.id, content: 'Sunny in Oslo' });
  });

  it('reports an unreachable server as session.error and goes on with the other servers’ tools', async () => {
    const sessionId = await stack.session({
      agent: {
        tools: [
          { type: 'mcp_toolset', mcp_server_name: 'weather' },
          { type: 'mcp_toolset', mcp_server_name: 'gone' },
        ],
        mcp_servers: [
          { type: 'url', name: 'weather', url: mcp.url },
          { type: 'url', name: 'gone', url: `http://127.0.0.1:${deadPort}/mcp` },
        ],
      },
    });
    const first = stack.model.requests.length;
    stack.model.script({ kind: 'text', text: 'Done.' });
    await stack.send(sessionId, { type: 'user.message', content: 'Hi' });
    const events = await stack.idle(sessionId);

    const errors = ofType(events, 'session.error');
    expect(errors).toEqual([expect.objectContaining({ error: expect.objectContaining({ type: 'mcp_connection_failed_error', message: expect.stringContaining('"gone"') }) })]);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(ofType(events, 'agent.message')).toHaveLength(1);
    expect(stack.model.requests[first]!.body.tools?.map((t) => t.function?.name)).toEqual(['mcp__weather__forecast', 'mcp__weather__stall']);
  });

  it('refuses a private address that the allow-list does not name, without connecting', async () => {
    const before = mcp.requests.length;
    // localhost resolves to 127.0.0.1, but only 127.0.0.1:<port> itself is allowed.
    const sessionId = await stack.session({ agent: weatherAgent(`http://localhost:${mcp.port}/mcp`) });
    const first = stack.model.requests.length;
    stack.model.script({ kind: 'text', text: 'No tools.' });
    await stack.send(sessionId, { type: 'user.message', content: 'Hi' });
    const events = await stack.idle(sessionId);

    expect(ofType(events, 'session.error')).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ type: 'mcp_connection_failed_error', message: expect.stringContaining('STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS') }) }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(stack.model.requests[first]!.body.tools ?? []).toEqual([]);
    expect(mcp.requests.length).toBe(before);
  });

  it('asks first under always_ask: requires_action, and the confirmation runs the call', async () => {
    const sessionId = await stack.session({ agent: weatherAgent(mcp.url, { permission_policy: 'always_ask' }) });
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'mcp__weather__forecast', arguments: { city: 'Bergen' } }] }, { kind: 'text', text: 'Rain, probably.' });
    await stack.send(sessionId, { type: 'user.message', content: 'Weather in Bergen?' });
    const paused = await stack.idle(sessionId);

    const [use] = ofType(paused, 'agent.mcp_tool_use');
    expect(use).toMatchObject({ name: 'forecast', mcp_server_name: 'weather', evaluated_permission: 'ask' });
    expect(paused.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'requires_action', event_ids: [use.id] } });
    expect(mcp.calls).not.toContainEqual({ tool: 'forecast', args: { city: 'Bergen' } });

    await stack.send(sessionId, { type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' });
    const events = await stack.idle(sessionId, 2);
    expect(ofType(events, 'agent.mcp_tool_result')).toEqual([expect.objectContaining({ mcp_tool_use_id: use.id, content: [{ type: 'text', text: 'Sunny in Bergen' }], is_error: false })]);
    expect(mcp.calls).toContainEqual({ tool: 'forecast', args: { city: 'Bergen' } });
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  });

  it('falls back to the SSE transport for a server that does not speak streamable HTTP', async () => {
    const sessionId = await stack.session({ agent: weatherAgent(legacy.url) });
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'mcp__weather__forecast', arguments: { city: 'Paris' } }] }, { kind: 'text', text: 'Cloudy.' });
    await stack.send(sessionId, { type: 'user.message', content: 'Weather in Paris?' });
    const events = await stack.idle(sessionId);
    expect(ofType(events, 'session.error')).toEqual([]);
    expect(ofType(events, 'agent.mcp_tool_result')).toEqual([expect.objectContaining({ content: [{ type: 'text', text: 'Cloudy in Paris' }], is_error: false })]);
  });

  it('applies a per-tool config: a disabled tool is not offered', async () => {
    const sessionId = await stack.session({ agent: weatherAgent(mcp.url, { configs: [{ name: 'stall', enabled: false }] }) });
    const first = stack.model.requests.length;
    stack.model.script({ kind: 'text', text: 'Nothing to call.' });
    await stack.send(sessionId, { type: 'user.message', content: 'Hi' });
    await stack.idle(sessionId);
    expect(stack.model.requests[first]!.body.tools?.map((t) => t.function?.name)).toEqual(['mcp__weather__forecast']);
  });
});

describe('the tool list of a session', () => {
  const toolsOf = (index: number) => stack.model.requests[index]!.body.tools?.map((t) => t.function?.name);

  it('is kept between turns, and listed again after the server says it changed', async () => {
    const sessionId = await stack.session({ agent: weatherAgent(stateful.url) });
    let turns = 0;
    const turn = async () => {
      const index = stack.model.requests.length;
      stack.model.script({ kind: 'text', text: 'ok' });
      await stack.send(sessionId, { type: 'user.message', content: `turn ${++turns}` });
      await stack.idle(sessionId, turns);
      return index;
    };
    expect(toolsOf(await turn())).toEqual(['mcp__weather__forecast']);
    expect(toolsOf(await turn())).toEqual(['mcp__weather__forecast']);
    // One connection and one listing for both turns.
    expect(stateful.methods.filter((m) => m === 'initialize' || m === 'tools/list')).toEqual(['initialize', 'tools/list']);

    stateful.addTool('alerts');
    // The notification travels on the open stream; the first turn that starts after it lists again.
    let tools = toolsOf(await turn());
    while (!tools?.includes('mcp__weather__alerts') && turns < 20) tools = toolsOf(await turn());
    expect(tools).toEqual(['mcp__weather__forecast', 'mcp__weather__alerts']);
    expect(stateful.methods.filter((m) => m === 'initialize')).toEqual(['initialize']);
  });
});

describe('MCP credentials from vaults', () => {
  it('sends the vault credential matched by server URL as a bearer token, and never shows it', async () => {
    const bodies: unknown[] = [];
    const vault = await stack.stratus.vaults.create({ display_name: 'weather' });
    const credential = await stack.stratus.vaults.credentials.create(vault.id, {
      display_name: 'weather token',
      // Another spelling of the agent's URL: the match is made on the normalised URL.
      auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: `HTTP://127.0.0.1:${mcp.port}/secure/` },
    });
    bodies.push(vault, credential);
    const sessionId = await stack.session({ agent: weatherAgent(mcp.secureUrl), session: { vault_ids: [vault.id] } });
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'mcp__weather__forecast', arguments: { city: 'Tromsø' } }] }, { kind: 'text', text: 'Sunny.' });
    const sent = await stack.send(sessionId, { type: 'user.message', content: 'Weather in Tromsø?' });
    const events = await stack.idle(sessionId);
    bodies.push(sent, events, (await stack.stratus.sessions.retrieve(sessionId)));
    bodies.push(await stack.stratus.vaults.credentials.list(vault.id));

    expect(ofType(events, 'session.error')).toEqual([]);
    expect(ofType(events, 'agent.mcp_tool_result')).toEqual([expect.objectContaining({ content: [{ type: 'text', text: 'Sunny in Tromsø' }], is_error: false })]);
    const secure = mcp.requests.filter((r) => r.path === '/secure');
    expect(secure.length).toBeGreaterThan(0);
    for (const request of secure) expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    for (const body of bodies) expect(JSON.stringify(body)).not.toContain(TOKEN);
  });

  it('reports a server that refuses the request as mcp_authentication_failed_error', async () => {
    const sessionId = await stack.session({ agent: weatherAgent(mcp.secureUrl) });
    stack.model.script({ kind: 'text', text: 'No weather today.' });
    await stack.send(sessionId, { type: 'user.message', content: 'Hi' });
    const events = await stack.idle(sessionId);
    expect(ofType(events, 'session.error')).toEqual([expect.objectContaining({ error: expect.objectContaining({ type: 'mcp_authentication_failed_error' }) })]);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  });
});
