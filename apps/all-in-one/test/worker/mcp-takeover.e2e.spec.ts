import { eventually } from '@stratus/testing';
import { newSession, ofType, textOf } from './harness';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server';
import { startWorkerStack, type WorkerStack } from './worker-stack';

// An MCP call follows the built-in tools' takeover rule: its use is committed before the call starts,
// and a worker killed during the call leaves it to another, which reports it as interrupted to the
// model instead of calling the server again. Two real worker processes, built as deployed.

let mcp: TestMcpServer;
let stack: WorkerStack;

beforeAll(async () => {
  mcp = await startTestMcpServer('unused');
  stack = await startWorkerStack('stratus_mcp_takeover', {
    workers: 2,
    env: {
      LOG_LEVEL: 'debug',
      STRATUS_WORKER_LOCK_MS: '2000',
      STRATUS_WORKER_STALLED_INTERVAL_MS: '1000',
      STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${mcp.port}`,
    },
  });
}, 120_000);

afterAll(async () => {
  try {
    await stack?.close();
  } finally {
    await mcp?.close();
  }
}, 120_000);

it('a worker killed during an MCP call: another resumes the turn and reports the call as interrupted without calling again', async () => {
  const sessionId = await newSession(stack.api.stratus, {
    agent: { tools: [{ type: 'mcp_toolset', mcp_server_name: 'weather' }], mcp_servers: [{ type: 'url', name: 'weather', url: mcp.url }] },
  });
  stack.model.script({ kind: 'tool_calls', calls: [{ name: 'mcp__weather__stall', arguments: {} }] }, { kind: 'text', text: 'done' });
  await stack.send(sessionId, 'go');

  await eventually(async () => (mcp.calls.some((c) => c.tool === 'stall') ? true : undefined), 10_000, 'the MCP call to reach the server');
  const owner = await stack.ownerOf(sessionId, 10_000);
  owner.child.kill('SIGKILL');

  const log = await stack.turnEnded(sessionId, 30_000);
  expect(stack.workers.some((w) => w !== owner && w.started.has(sessionId))).toBe(true);
  const [use] = ofType(log, 'agent.mcp_tool_use');
  const results = ofType(log, 'agent.mcp_tool_result');
  expect(results).toEqual([expect.objectContaining({ mcp_tool_use_id: use.id, is_error: true })]);
  expect(textOf(results[0])).toMatch(/not repeated/);
  expect(mcp.calls.filter((c) => c.tool === 'stall')).toHaveLength(1);
  expect(log.at(-1).stop_reason).toEqual({ type: 'end_turn' });
}, 120_000);
