import { agentToolSpecs, chatTools, runsInSandbox } from './tool-catalog';

describe('agentToolSpecs', () => {
  it('offers every built-in tool when enabled_tools is empty, only the listed ones otherwise, with the policy', () => {
    expect(agentToolSpecs([{ type: 'agent_toolset_20260401', enabled_tools: [], permission_policy: 'always_allow' }]).map((s) => s.name)).toEqual([
      'Bash',
      'Read',
      'Write',
      'Edit',
      'Glob',
      'Grep',
      'WebFetch',
    ]);
    expect(agentToolSpecs([{ type: 'agent_toolset_20260401', enabled_tools: ['Grep', 'Bash'], permission_policy: 'always_ask' }])).toEqual([
      { kind: 'builtin', name: 'Bash', permission: 'always_ask' },
      { kind: 'builtin', name: 'Grep', permission: 'always_ask' },
    ]);
  });

  it('adds custom tools, leaves MCP toolsets to the MCP client, and runs only built-in tools in the sandbox', () => {
    const specs = agentToolSpecs([
      { type: 'custom', name: 'lookup', description: 'Looks up', input_schema: { type: 'object' } },
      { type: 'mcp_toolset', mcp_server_name: 'docs', permission_policy: 'always_allow' },
    ]);
    expect(specs).toEqual([{ kind: 'custom', name: 'lookup', description: 'Looks up', inputSchema: { type: 'object' } }]);
    expect(runsInSandbox(specs, 'lookup')).toBe(false);
    const readOnly = agentToolSpecs([{ type: 'agent_toolset_20260401', enabled_tools: ['Read'], permission_policy: 'always_allow' }]);
    expect(runsInSandbox(readOnly, 'Read')).toBe(true);
    // A tool the agent does not offer (the model made it up, or it is disabled) starts nothing.
    expect(runsInSandbox(readOnly, 'Bash')).toBe(false);
  });
});

describe('chatTools', () => {
  it('describes built-in tools with draft-7 JSON schemas the model can fill in', () => {
    const [bash] = chatTools([{ kind: 'builtin', name: 'Bash', permission: 'always_allow' }]);
    expect(bash).toMatchObject({ type: 'function', function: { name: 'Bash', description: expect.stringMatching(/bash command/) } });
    const parameters = (bash as { function: { parameters: Record<string, unknown> } }).function.parameters;
    expect(parameters).toMatchObject({ type: 'object', required: ['command'], properties: { command: { type: 'string' }, timeout: { type: 'integer' } } });
    expect(parameters.$schema).toBeUndefined();
  });
});
