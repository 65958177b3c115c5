import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
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
  /** Makes the `stall` tool answer (it waits until then). */
  release(): void;
  close(): Promise<void>;
}

/**
 * A real MCP server (the SDK's McpServer over its streamable HTTP transport, stateless) on a random
 * port of 127.0.0.1, with one tool, `forecast`, answering "Sunny in <city>".
 */
export async function startTestMcpServer(token: string): Promise<TestMcpServer> {
  const requests: SeenRequest[] = [];
  const calls: { tool: string; args: unknown }[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
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
    server.registerTool('stall', { description: 'Answers when the test says so', inputSchema: {} }, async () => {
      calls.push({ tool: 'stall', args: {} });
      await released;
      return { content: [{ type: 'text', text: 'released' }] };
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
    release,
    close: () => {
      release();
      return new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      });
    },
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

export interface StatefulMcpServer {
  port: number;
  url: string;
  /** JSON-RPC methods the server was asked, in order (initialize, tools/list, tools/call…). */
  methods: string[];
  /** Registers a tool on every open MCP session, which tells its client that the tool list changed. */
  addTool(name: string): void;
  close(): Promise<void>;
}

/**
 * An MCP server that keeps its sessions (so it can push notifications/tools/list_changed over the
 * open stream), starting with the `forecast` tool.
 */
export async function startStatefulMcpServer(): Promise<StatefulMcpServer> {
  const methods: string[] = [];
  const added: string[] = [];
  const sessions = new Map<string, { server: McpServer; transport: StreamableHTTPServerTransport }>();
  const register = (server: McpServer, name: string) =>
    server.registerTool(name, { description: `The ${name} tool`, inputSchema: { city: z.string() } }, ({ city }) => ({ content: [{ type: 'text', text: `${name} for ${city}` }] }));

  const http: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body: unknown = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const method = (body as { method?: string } | undefined)?.method;
      if (method) methods.push(method);
      const id = req.headers['mcp-session-id'];
      let session = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!session) {
        const server = new McpServer({ name: 'weather', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
        register(server, 'forecast');
        for (const name of added) register(server, name);
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => crypto.randomUUID(),
          onsessioninitialized: (sessionId) => void sessions.set(sessionId, { server, transport }),
        });
        await server.connect(transport);
        session = { server, transport };
      }
      await session.transport.handleRequest(req, res, body);
    })();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    methods,
    addTool(name) {
      added.push(name);
      for (const { server } of sessions.values()) register(server, name);
    },
    close: async () => {
      for (const { server } of sessions.values()) await server.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * An MCP server that speaks only the older HTTP+SSE transport (GET /sse for the stream, POST
 * /messages for requests); a streamable HTTP POST to /sse answers 405.
 */
export async function startSseOnlyMcpServer(): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const transports = new Map<string, SSEServerTransport>();
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/sse' && req.method === 'GET') {
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      const server = new McpServer({ name: 'legacy', version: '1.0.0' });
      server.registerTool('forecast', { description: 'The weather forecast of a city', inputSchema: { city: z.string() } }, ({ city }) => ({ content: [{ type: 'text', text: `Cloudy in ${city}` }] }));
      res.on('close', () => void server.close());
      void server.connect(transport);
      return;
    }
    const transport = transports.get(url.searchParams.get('sessionId') ?? '');
    if (url.pathname === '/messages' && req.method === 'POST' && transport) {
      void transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(405).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/sse`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
