import { CreateAgentRequest, UpdateAgentRequest } from './agents';
import { toContentBlocks } from './common';
import { CreateEnvironmentRequest } from './environments';
import { SendEventsRequest } from './events';
import { idOf, isIdOf } from './ids';
import { CreateSessionRequest } from './sessions';
import { CreateVaultCredentialRequest } from './vaults';

describe('agent definitions', () => {
  it('fills defaults and normalises a model given as {id}', () => {
    expect(CreateAgentRequest.parse({ name: 'a', model: { id: 'm' }, tools: [{ type: 'agent_toolset_20260401' }] })).toEqual({
      name: 'a',
      model: 'm',
      description: '',
      system: '',
      tools: [{ type: 'agent_toolset_20260401', enabled_tools: [], permission_policy: 'always_allow' }],
      mcp_servers: [],
      metadata: {},
    });
  });

  it('checks names across tools and MCP servers', () => {
    const issues = (input: unknown) => CreateAgentRequest.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ name: 'a', model: 'm', tools: [{ type: 'mcp_toolset', mcp_server_name: 'x' }] })).toEqual(['tools.0.mcp_server_name']);
    expect(issues({ name: 'a', model: 'm', tools: [{ type: 'custom', name: 't' }, { type: 'custom', name: 't' }] })).toEqual(['tools.1.name']);
    expect(issues({ name: 'a', model: 'm', tools: [{ type: 'agent_toolset_20260401' }, { type: 'agent_toolset_20260401' }] })).toEqual(['tools.1']);
    expect(issues({ name: 'a', model: 'm', mcp_servers: [{ type: 'url', name: 's', url: 'https://a' }, { type: 'url', name: 's', url: 'https://b' }] })).toEqual(['mcp_servers.1.name']);
    expect(issues({ name: 'a', model: 'm', extra: 1 })).toEqual(['']);
  });

  it('gives an MCP toolset a permission policy and per-tool configs', () => {
    const agent = CreateAgentRequest.parse({
      name: 'a',
      model: 'm',
      tools: [{ type: 'mcp_toolset', mcp_server_name: 's', configs: [{ name: 'drop_table', permission_policy: 'always_ask' }] }],
      mcp_servers: [{ type: 'url', name: 's', url: 'https://mcp.example.com/mcp' }],
    });
    expect(agent.tools).toEqual([
      { type: 'mcp_toolset', mcp_server_name: 's', permission_policy: 'always_allow', configs: [{ name: 'drop_table', enabled: true, permission_policy: 'always_ask' }] },
    ]);
  });

  it('lets an update change any subset but nothing unknown', () => {
    expect(UpdateAgentRequest.parse({ version: 3, system: 's' })).toEqual({ version: 3, system: 's' });
    expect(UpdateAgentRequest.safeParse({ version: 0 }).success).toBe(false);
    expect(UpdateAgentRequest.safeParse({ archived_at: null }).success).toBe(false);
  });
});

describe('environments', () => {
  it('defaults to an unrestricted cloud config and validates host patterns', () => {
    expect(CreateEnvironmentRequest.parse({ name: 'e' }).config).toEqual({
      type: 'cloud',
      networking: { type: 'unrestricted' },
      packages: { apt: [], pip: [], npm: [] },
      resources: { cpu: '1', memory: '2Gi' },
    });
    const hosts = (allowed_hosts: string[]) => CreateEnvironmentRequest.safeParse({ name: 'e', config: { type: 'cloud', networking: { type: 'allowed_hosts', allowed_hosts } } }).success;
    expect(hosts(['api.github.com', '*.example.com'])).toBe(true);
    expect(hosts(['https://api.github.com'])).toBe(false);
    expect(hosts(['a.*.com'])).toBe(false);
  });
});

describe('sessions and events', () => {
  it('accepts an agent as an id or a pinned {id, version}', () => {
    expect(CreateSessionRequest.parse({ agent: 'agent_x', environment_id: 'env_y' }).agent).toBe('agent_x');
    expect(CreateSessionRequest.parse({ agent: { id: 'agent_x', version: 2 }, environment_id: 'env_y' }).agent).toEqual({ id: 'agent_x', version: 2 });
    expect(CreateSessionRequest.safeParse({ agent: 'agent_x', environment_id: 'env_y', environment_variables: { '1BAD': 'x' } }).success).toBe(false);
  });

  it('accepts only the four client event types, with their fields', () => {
    expect(SendEventsRequest.safeParse({ events: [{ type: 'user.message', content: 'hi' }, { type: 'user.interrupt' }] }).success).toBe(true);
    expect(SendEventsRequest.safeParse({ events: [{ type: 'agent.message', content: 'hi' }] }).success).toBe(false);
    expect(SendEventsRequest.safeParse({ events: [{ type: 'user.tool_confirmation', tool_use_id: 'evt_1', result: 'maybe' }] }).success).toBe(false);
    expect(SendEventsRequest.safeParse({ events: [] }).success).toBe(false);
  });

  it('returns content as blocks whichever form was sent', () => {
    expect(toContentBlocks('hi')).toEqual([{ type: 'text', text: 'hi' }]);
    expect(toContentBlocks([{ type: 'text', text: 'a' }])).toEqual([{ type: 'text', text: 'a' }]);
  });
});

describe('ids', () => {
  it('recognises the prefix and 32 hex characters', () => {
    expect(isIdOf('session', `sess_${'0'.repeat(32)}`)).toBe(true);
    expect(isIdOf('session', `sess_${'0'.repeat(31)}`)).toBe(false);
    expect(isIdOf('session', `agent_${'0'.repeat(32)}`)).toBe(false);
    expect(idOf('agent').safeParse(`agent_${'a'.repeat(32)}`).success).toBe(true);
  });
});

describe('vault credentials', () => {
  it('take a static bearer token for an http(s) MCP server URL, and nothing else', () => {
    const auth = { type: 'static_bearer', token: 't', mcp_server_url: 'https://mcp.example.com/mcp' };
    expect(CreateVaultCredentialRequest.parse({ display_name: 'c', auth })).toEqual({ display_name: 'c', auth, metadata: {} });
    const issues = (input: unknown) => CreateVaultCredentialRequest.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ display_name: 'c', auth: { ...auth, token: '' } })).toEqual(['auth.token']);
    expect(issues({ display_name: 'c', auth: { ...auth, mcp_server_url: 'file:///etc/passwd' } })).toEqual(['auth.mcp_server_url']);
    expect(issues({ display_name: 'c', auth: { ...auth, extra: 1 } })).toEqual(['auth']);
  });

  it('are named by vault ids of the vlt_ kind on a session', () => {
    const base = { agent: 'agent_x', environment_id: 'env_x' };
    expect(CreateSessionRequest.parse(base).vault_ids).toEqual([]);
    expect(CreateSessionRequest.safeParse({ ...base, vault_ids: ['vlt_0123456789abcdef0123456789abcdef'] }).success).toBe(true);
    expect(CreateSessionRequest.safeParse({ ...base, vault_ids: ['env_0123456789abcdef0123456789abcdef'] }).success).toBe(false);
  });
});
