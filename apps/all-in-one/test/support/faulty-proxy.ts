import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: forward it, or answer it with an error of its own. */
export type ProxyAction =
  | { kind: 'forward' }
  /** Answers at once with this status (and retry-after), never reaching the server. */
  | { kind: 'fail'; status: number; retryAfter?: string }
  /** Forwards, lets the server act, then throws the answer away and answers this status instead. */
  | { kind: 'forward-then-fail'; status: number }
  /** Forwards and relays the first `afterBytes` of the answer's body, then cuts the connection. */
  | { kind: 'cut'; afterBytes: number };

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/** A real HTTP proxy in front of the API whose behaviour each test scripts, recording every request. */
export interface FaultyProxy {
  url: string;
  seen: SeenRequest[];
  /** Decides each request's fate, in arrival order (default: forward). */
  plan(decide: (req: SeenRequest, index: number) => ProxyAction): void;
  close(): Promise<void>;
}

function envelope(status: number): string {
  const type = status === 429 ? 'rate_limit_error' : status === 503 ? 'overloaded_error' : 'api_error';
  return JSON.stringify({ type: 'error', error: { type, message: `the test proxy answered ${status}` }, request_id: `req_proxy_${status}` });
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  let decide: (req: SeenRequest, index: number) => ProxyAction = () => ({ kind: 'forward' });

  const forward = (req: IncomingMessage, body: Buffer, onResponse: (res: IncomingMessage) => void) => {
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, onResponse);
    out.end(body);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const info = { method: req.method!, url: req.url!, headers: req.headers };
      seen.push(info);
      const action = decide(info, seen.length - 1);
      const body = Buffer.concat(chunks);
      switch (action.kind) {
        case 'fail':
          res.writeHead(action.status, { 'content-type': 'application/json', ...(action.retryAfter !== undefined ? { 'retry-after': action.retryAfter } : {}) });
          res.end(envelope(action.status));
          return;
        case 'forward-then-fail':
          forward(req, body, (upstreamRes) => {
            upstreamRes.resume();
            upstreamRes.on('end', () => {
              res.writeHead(action.status, { 'content-type': 'application/json' });
              res.end(envelope(action.status));
            });
          });
          return;
        case 'cut':
          forward(req, body, (upstreamRes) => {
            res.writeHead(upstreamRes.statusCode!, upstreamRes.headers);
            let left = action.afterBytes;
            upstreamRes.on('data', (chunk: Buffer) => {
              if (left <= 0) return;
              const part = chunk.subarray(0, left);
              left -= part.length;
              // Once the allowance has reached the client, the connection breaks mid-stream.
              res.write(part, () => {
                if (left > 0) return;
                upstreamRes.destroy();
                res.destroy();
              });
            });
            upstreamRes.on('end', () => res.end());
          });
          return;
        case 'forward':
          forward(req, body, (upstreamRes) => {
            res.writeHead(upstreamRes.statusCode!, upstreamRes.headers);
            upstreamRes.pipe(res);
          });
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    plan: (fn) => {
      decide = fn;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
