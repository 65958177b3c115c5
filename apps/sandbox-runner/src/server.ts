import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { badRequest, notFound, ToolError, type RunnerErrorType } from './errors';

/** Big enough for any file a model writes in one call. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface Route {
  method: 'GET' | 'POST';
  /** `signal` aborts when the client disconnects, which is how the worker cancels a running tool. */
  handle(body: unknown, signal: AbortSignal): Promise<unknown>;
}

/** A POST route whose JSON body is validated with `schema` before `handler` sees it. */
export function jsonRoute<S extends z.ZodType>(
  schema: S,
  handler: (request: z.output<S>, signal: AbortSignal) => Promise<unknown>,
): Route {
  return {
    method: 'POST',
    async handle(body, signal) {
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw badRequest(z.prettifyError(parsed.error));
      return handler(parsed.data, signal);
    },
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time check of `Authorization: Bearer <token>`; hashing first hides the length too. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function sendError(res: ServerResponse, status: number, type: RunnerErrorType, message: string): void {
  send(res, status, { error: { type, message } });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ToolError(413, 'request_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}

/** The runner's HTTP server: bearer-token auth on every route, JSON in and out, errors as {error}. */
export function createRunnerServer(token: string, routes: Readonly<Record<string, Route>>): Server {
  const expected = digest(token);
  return createServer((req, res) => {
    void (async () => {
      if (!authorized(req.headers.authorization, expected)) {
        req.resume();
        return sendError(res, 401, 'authentication_error', 'missing or invalid bearer token');
      }
      const abort = new AbortController();
      // 'close' before the response finished means the client hung up or aborted the call.
      res.once('close', () => {
        if (!res.writableFinished) abort.abort(new Error('client disconnected'));
      });
      try {
        const route = routes[new URL(req.url ?? '/', 'http://runner').pathname];
        if (!route) throw notFound(`no route ${req.method ?? ''} ${req.url ?? ''}`);
        if (route.method !== req.method) throw new ToolError(405, 'invalid_request_error', `use ${route.method} for ${req.url ?? ''}`);
        const body = route.method === 'POST' ? await readJson(req) : undefined;
        send(res, 200, await route.handle(body, abort.signal));
      } catch (error) {
        if (error instanceof ToolError) return sendError(res, error.status, error.type, error.message);
        sendError(res, 500, 'api_error', error instanceof Error ? error.message : String(error));
      }
    })();
  });
}
