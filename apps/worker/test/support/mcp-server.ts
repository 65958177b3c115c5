import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A request the test MCP server received. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface TestMcpServer {
  port: number;
  /** The streamable HTTP endpoint without auth. */
  url: string;
  /** The endpoint that answers 401 unless `Authorization: Bearer <token>` is sent. */
  secureUrl: string;
  requests: SeenRequest[];
  /** The arguments of every tools/call, in order. */
  calls: { tool: string; args: unknown }[];
  close(): Promise<void>;
}

/**
 * A real MCP server (the SDK's McpServer over its streamable HTTP transport, stateless) on a random
 * port of 127.0.0.1, with one tool, `forecast`, answering "Sunny in <city>".
 */
export async function startTestMcpServer(token: string): Promise<TestMcpServer> {
  const requests: SeenRequest[] = [];
  const calls: { tool: string; args: unknown }[] = [];
  const http: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ method: req.method ?? '', path, headers: req.headers });
    if (path === '/secure' && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    if (path !== '/mcp' && path !== '/secure') {
      res.writeHead(404).end();
      return;
    }
    const server = new McpServer({ name: 'weather', version: '1.0.0' });
    server.registerTool('forecast', { description: 'The weather forecast of a city', inputSchema: { city: z.string() } }, ({ city }) => {
      calls.push({ tool: 'forecast', args: { city } });
      return { content: [{ type: 'text', text: `Sunny in ${city}` }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    secureUrl: `http://127.0.0.1:${port}/secure`,
    requests,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** A port of 127.0.0.1 that nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
