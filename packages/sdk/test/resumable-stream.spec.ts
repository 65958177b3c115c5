import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIError, Stratus, type ReconnectInfo, type StreamEvent } from '../src';

/** A real HTTP server whose stream handler each test scripts, recording every request it gets. */
interface ScriptedServer {
  baseURL: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, index: number) => void): Promise<ScriptedServer> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const event = (n: number, type = 'agent.message') => ({ id: `evt_${n}`, type, session_id: 'sess_1', turn_id: null, created_at: '2026-01-01T00:00:00.000Z', processed_at: null });
const frame = (n: number, type = 'agent.message') => `id: evt_${n}\nevent: ${type}\ndata: ${JSON.stringify(event(n, type))}\n\n`;
const open = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const FAST = { backoff: { initialMs: 10, maxMs: 40 } };

async function collect(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('ResumableStream', () => {
  it('resumes with Last-Event-ID after a cut, drops repeats, and stops after session.deleted', async () => {
    server = await serve((req, res, index) => {
      open(res);
      if (index === 0) {
        // Two events, half of a third, then the connection breaks.
        res.write(frame(1) + frame(2) + frame(3).slice(0, 20));
        setTimeout(() => res.destroy(), 20);
      } else if (index === 1) {
        // The server resends an event the client already has; then ends the stream cleanly.
        res.end(frame(2) + frame(3) + ': heartbeat\n\n');
      } else {
        res.write(frame(4) + frame(5, 'session.deleted') + frame(6));
      }
    });
    const reconnects: ReconnectInfo[] = [];
    const client = new Stratus({ baseURL: server.baseURL, token: 'pt-test' });
    const stream = client.sessions.events.stream('sess_1', { ...FAST, onReconnect: (info) => reconnects.push(info) });
    const events = await collect(stream);
    expect(events.map((e) => (e as { id: string }).id)).toEqual(['evt_1', 'evt_2', 'evt_3', 'evt_4', 'evt_5']);
    expect(server.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, 'evt_2', 'evt_3']);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer pt-test');
    expect(server.requests[0]!.url).toBe('/api/v1/cloud/sessions/sess_1/events/stream');
    expect(reconnects.map((r) => r.lastEventId)).toEqual(['evt_2', 'evt_3']);
    expect(stream.lastEventId).toBe('evt_5');
  });

  it('backs off on retryable statuses and refused connections, and gives up on a 404', async () => {
    server = await serve((_req, res, index) => {
      if (index === 0) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'busy' }, request_id: 'req_1' }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'Session sess_1 not found.' }, request_id: 'req_2' }));
      }
    });
    const client = new Stratus({ baseURL: `${server.baseURL}/api/v1/cloud/`, token: 'pt-test' });
    const error = await collect(client.sessions.events.stream('sess_1', FAST)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 404, type: 'not_found_error', requestId: 'req_2' });
    expect(server.requests).toHaveLength(2);
  });

  it('waits as long as the server says in retry: before reconnecting', async () => {
    const times: number[] = [];
    server = await serve((_req, res, index) => {
      times.push(Date.now());
      open(res);
      if (index === 0) res.end(frame(1) + 'retry: 300\n\n');
      else res.end(frame(2, 'session.deleted'));
    });
    const client = new Stratus({ baseURL: server.baseURL, token: 'pt-test' });
    const events = await collect(client.sessions.events.stream('sess_1', FAST));
    expect(events).toHaveLength(2);
    // Jitter spreads the wait over [150, 300] ms; FAST's backoff alone would wait at most 10 ms.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
  });

  it('passes previews through, asks for them with event_deltas[], and stops reading when the consumer breaks', async () => {
    let closed = false;
    server = await serve((req, res) => {
      open(res);
      res.write(`event: event_start\ndata: ${JSON.stringify({ type: 'event_start', event: { id: 'evt_9', type: 'agent.message' } })}\n\n`);
      res.write(`event: event_delta\ndata: ${JSON.stringify({ type: 'event_delta', event_id: 'evt_9', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Hi' } } })}\n\n`);
      res.write(frame(9));
      req.socket.on('close', () => (closed = true));
    });
    const client = new Stratus({ baseURL: server.baseURL, token: 'pt-test' });
    const seen: string[] = [];
    for await (const item of client.sessions.events.stream('sess_1', { ...FAST, eventDeltas: ['agent.message', 'agent.thinking'] })) {
      seen.push(item.type);
      if (item.type === 'agent.message') break;
    }
    expect(seen).toEqual(['event_start', 'event_delta', 'agent.message']);
    expect(server.requests[0]!.url).toBe('/api/v1/cloud/sessions/sess_1/events/stream?event_deltas%5B%5D=agent.message&event_deltas%5B%5D=agent.thinking');
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
  });

  it('doubles its delay while connections fail and starts over after a healthy one', async () => {
    server = await serve((_req, res, index) => {
      if (index < 3) {
        res.writeHead(503);
        res.end();
      } else if (index === 3) {
        open(res);
        res.write(frame(1));
        setTimeout(() => res.end(), 120);
      } else {
        open(res);
        res.end(frame(2, 'session.deleted'));
      }
    });
    const delays: number[] = [];
    const client = new Stratus({ baseURL: server.baseURL, token: 'pt-test' });
    await collect(client.sessions.events.stream('sess_1', { backoff: { initialMs: 10, maxMs: 1000 }, healthyAfterMs: 60, onReconnect: (info) => delays.push(info.delayMs) }));
    expect(delays).toHaveLength(4);
    // Equal jitter: each delay lies in the upper half of 10, 20, 40 ms; then, after 120 ms up, back to 10.
    expect(delays[0]).toBeGreaterThanOrEqual(5);
    expect(delays[0]).toBeLessThanOrEqual(10);
    expect(delays[2]).toBeGreaterThanOrEqual(20);
    expect(delays[2]).toBeLessThanOrEqual(40);
    expect(delays[3]).toBeLessThanOrEqual(10);
  });

  it('yields every frame, repeats included, when deduplication is off', async () => {
    server = await serve((_req, res) => {
      open(res);
      res.end(frame(1) + frame(1) + frame(2, 'session.deleted'));
    });
    const client = new Stratus({ baseURL: server.baseURL, token: 'pt-test' });
    const events = await collect(client.sessions.events.stream('sess_1', { ...FAST, dedupeWindow: 0 }));
    expect(events.map((e) => (e as { id: string }).id)).toEqual(['evt_1', 'evt_1', 'evt_2']);
  });
});
