// Part of pnpm bench:sdk — the cost of an MCP tool call made through Stratus against the same call made
// directly with the MCP SDK's client, in the same run and against the same MCP server (the SDK's
// McpServer over streamable HTTP on loopback, allowed through STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS).
// Through Stratus: sessions whose scripted model calls the server's `echo` tool CALLS times per turn;
// a call spans agent.mcp_tool_use to agent.mcp_tool_result (commit times in PostgreSQL, so it includes
// committing the use before the call and the result after it, as a built-in tool call does).
// Directly: client.callTool() round trips on one connected client. Prints p50/p99 of both and the
// overhead per call (difference of the p50s); sdk.bench.mjs puts the figures in its report.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { databaseUrl, ROOT, startServer, stats } from './lib.mjs';

const require = createRequire(path.join(ROOT, 'apps/worker/package.json'));
const { startScriptedModel } = require(path.join(ROOT, 'packages/testing/dist/index.js'));
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { z } = require('zod');

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS_PER_TURN ?? 20);
const DIRECT_CALLS = Number(process.env.BENCH_DIRECT_CALLS ?? 200);

const line = (label, s) => console.log(`${label.padEnd(40)} p50 ${String(s.p50).padStart(7)} ms   p99 ${String(s.p99).padStart(7)} ms   (n=${s.n})`);

/** A stateless MCP server with one tool, `echo`. */
async function startMcpServer() {
  const http = createServer((req, res) => {
    const server = new McpServer({ name: 'bench', version: '1.0.0' });
    server.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { port: http.address().port, close: () => new Promise((resolve) => { http.closeAllConnections(); http.close(resolve); }) };
}

async function direct(url) {
  const client = new Client({ name: 'bench-direct', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  for (let i = 0; i < 20; i++) await client.callTool({ name: 'echo', arguments: { text: 'warm' } });
  const times = [];
  for (let i = 0; i < DIRECT_CALLS; i++) {
    const start = performance.now();
    await client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
    times.push(performance.now() - start);
  }
  await client.close();
  return stats(times);
}

async function throughStratus(server, mcpUrl) {
  const { stratus } = server;
  const agent = await stratus.agents.create({
    name: 'mcp-bench',
    model: 'bench-model',
    tools: [{ type: 'mcp_toolset', mcp_server_name: 'bench' }],
    mcp_servers: [{ type: 'url', name: 'bench', url: mcpUrl }],
  });
  const env = await stratus.environments.create({ name: 'mcp-bench' });
  const since = new Date();
  for (let s = 0; s < SESSIONS; s++) {
    const session = await stratus.sessions.create({ agent: agent.id, environment_id: env.id });
    await stratus.sessions.run(session.id, 'go');
  }
  const client = new pg.Client({ connectionString: databaseUrl(server.database) });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT id, type, payload, created_at FROM events WHERE created_at >= $1 AND type IN ('agent.mcp_tool_use', 'agent.mcp_tool_result', 'session.error')`,
      [since],
    );
    const errors = rows.filter((r) => r.type === 'session.error');
    if (errors.length > 0) throw new Error(`MCP errors during the run: ${JSON.stringify(errors.map((e) => e.payload))}`);
    const uses = new Map(rows.filter((r) => r.type === 'agent.mcp_tool_use').map((r) => [r.id, r.created_at.getTime()]));
    const times = rows.filter((r) => r.type === 'agent.mcp_tool_result').map((r) => r.created_at.getTime() - uses.get(r.payload.mcp_tool_use_id));
    return stats(times.slice(CALLS > 2 ? 2 : 0));
  } finally {
    await client.end();
  }
}

/**
 * Starts an MCP server, a scripted model and the all-in-one, measures the overhead per MCP tool call
 * and prints it; resolves with the figures for the caller's report.
 */
export async function measureMcpOverhead() {
  const mcp = await startMcpServer();
  const mcpUrl = `http://127.0.0.1:${mcp.port}/mcp`;
  const model = await startScriptedModel({
    models: ['bench-model'],
    respond: ({ body }) => {
      const done = body.messages.filter((m) => m.role === 'tool').length;
      if (done >= CALLS) return { kind: 'text', text: 'done', usage: { prompt_tokens: 20, completion_tokens: 1 } };
      return { kind: 'tool_calls', calls: [{ name: 'mcp__bench__echo', arguments: { text: `call ${done}` } }], usage: { prompt_tokens: 10, completion_tokens: 5 } };
    },
  });
  const server = await startServer({
    STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'bench', base_url: model.baseURL, models: ['bench-model'] }]),
    STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${mcp.port}`,
    STRATUS_TURN_MAX_ITERATIONS: String(CALLS + 5),
    RATE_LIMIT_REQUESTS: '100000000',
  });
  try {
    const directStats = await direct(mcpUrl);
    const stratusStats = await throughStratus(server, mcpUrl);
    line('MCP call, SDK client directly', directStats);
    line('MCP call through Stratus (use → result)', stratusStats);
    const overhead = Math.round((stratusStats.p50 - directStats.p50) * 10) / 10;
    console.log(`overhead per MCP tool call (p50 difference): ${overhead} ms`);
    return {
      sessions: SESSIONS,
      calls_per_turn: CALLS,
      direct: directStats,
      through_stratus: stratusStats,
      overhead_per_call_p50_ms: overhead,
      notes: 'Through Stratus: agent.mcp_tool_use to agent.mcp_tool_result commit times in PostgreSQL (ms resolution), the first two calls of the run left out (connection set-up).',
    };
  } finally {
    await server.stop();
    await model.close();
    await mcp.close();
  }
}
