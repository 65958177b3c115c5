import { spawnSync } from 'node:child_process';
import { Stratus } from '@stratus/sdk';
import { startAllInOne, type AllInOneProcess } from '@stratus/testing';
import { readmeBlock, walkthroughScript } from './support/readme';

// Runs the README's MCP and vaults example, command for command, after its walk-through (same shell:
// $STRATUS, auth and $ENV), against the built all-in-one process, then checks through the SDK that
// what it created is what the README says: a vault with a credential, an agent with the MCP server and
// its toolset, and a session that names the vault.

let server: AllInOneProcess;

beforeAll(async () => {
  server = await startAllInOne({ databaseName: 'stratus_readme_mcp' });
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

it('the README MCP example: a vault credential, an agent with an MCP toolset and a session using the vault', async () => {
  const baseUrl = server.baseUrl;
  const mcp = readmeBlock('MCP servers and vaults').replaceAll('http://localhost:8080', baseUrl);
  // curl prints the credential without a final newline: the ids go on a line of their own.
  const script = `${walkthroughScript(baseUrl)}\n${mcp}\necho\necho "created: $VAULT $MCP_AGENT $SESSION"`;
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', timeout: 90_000 });
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  const [vaultId, agentId, sessionId] = /^created: (\S+) (\S+) (\S+)$/m.exec(result.stdout)!.slice(1);
  // The credential's answer shows what was stored, never the token.
  expect(result.stdout).toMatch(/"mcp_server_url":"https:\/\/mcp\.example\.com\/mcp"/);
  expect(result.stdout).not.toContain('"token"');

  const stratus = new Stratus({ baseURL: baseUrl, token: server.token });
  const agent = await stratus.agents.retrieve(agentId!);
  expect(agent.mcp_servers).toEqual([{ type: 'url', name: 'docs', url: 'https://mcp.example.com/mcp' }]);
  expect(agent.tools).toEqual([expect.objectContaining({ type: 'mcp_toolset', mcp_server_name: 'docs' })]);
  const session = await stratus.sessions.retrieve(sessionId!);
  expect(session.vault_ids).toEqual([vaultId]);
  expect(session.agent.id).toBe(agentId);
}, 120_000);
