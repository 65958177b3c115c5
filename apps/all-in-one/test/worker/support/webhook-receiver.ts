import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@stratus/testing';

/** One request the receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers the n-th request (0-based) to a path: a status, or never ('hang'). */
export type Responder = (n: number) => number | 'hang';

/**
 * An HTTP server standing in for an integrator's webhook endpoint: it records every request and answers
 * each path as told (200 unless told otherwise).
 */
export interface WebhookReceiver {
  port: number;
  url(path: string): string;
  respond(path: string, responder: Responder): void;
  received(path: string): Received[];
  /** Waits until `path` got at least `count` requests. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const log: Received[] = [];
  const responders = new Map<string, Responder>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = log.filter((r) => r.path === path).length;
      log.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = responders.get(path)?.(n) ?? 200;
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : `status ${answer} from the receiver`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const received = (path: string) => log.filter((r) => r.path === path);
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    respond: (path, responder) => responders.set(path, responder),
    received,
    waitFor: (path, count, timeoutMs = 15_000) => eventually(async () => (received(path).length >= count ? received(path) : undefined), timeoutMs, `${count} request(s) to ${path}`),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The receiver's side of Standard Webhooks, written from the specification: the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`, the key is the base64-decoded part of the secret after
 * `whsec_`, `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>`, any one of
 * which may match, compared in constant time; a timestamp more than 5 minutes away is refused.
 * Returns the parsed payload, or throws.
 */
export function verifyWebhook(secret: string, headers: IncomingHttpHeaders, body: string, now = Date.now()): { id: string; type: string; created_at: string; data: Record<string, any> } {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') throw new Error('missing Standard Webhooks headers');
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > 300) throw new Error('timestamp outside the tolerance');
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new Error('no matching signature');
  return JSON.parse(body) as ReturnType<typeof verifyWebhook>;
}
