import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { DestinationRefused, isAllowedHost, resolveDestination, systemResolver } from '@stratus/net-guard';
import type { WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';

/** What is kept of a response body: enough to tell an error page, never the whole of it. */
const EXCERPT_BYTES = 256;

/** The receiver answered (any status). */
export interface WebhookResponse {
  status: number;
  /** The first bytes of the body, as text. */
  excerpt: string;
}

/** No response: the target was refused, unreachable, or too slow. */
export class WebhookSendError extends Error {}

/** Why an exchange ended without a response; the timeout's abort reads as one. */
function sendError(error: Error, timeoutMs: number): WebhookSendError {
  const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
  return new WebhookSendError(timedOut ? `timed out after ${timeoutMs} ms` : error.message);
}

/** A lookup that answers every name with the address that was checked, so the connection goes there. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * POSTs deliveries to receivers. The host is resolved once and the connection made to the address that
 * was checked (the name still goes in Host and TLS SNI): a DNS answer that changes between the check and
 * the connect cannot reach a private address. Private, loopback and special ranges are refused unless the
 * operator's allow-list names the host; plain http only to hosts on that list. Redirects are not followed
 * (a 3xx is a failed attempt), and the whole exchange is bounded by the timeout.
 */
@Injectable()
export class WebhookHttpRepository {
  constructor(@Inject(WORKER_ENV) private readonly env: WorkerEnv) {}

  async post(url: string, headers: Record<string, string>, body: string): Promise<WebhookResponse> {
    const target = new URL(url);
    const allowed = isAllowedHost(this.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS, target);
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && allowed)) {
      throw new WebhookSendError(`refused: ${target.protocol} is not https (plain http only to hosts on STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS)`);
    }
    let address: string;
    try {
      address = await resolveDestination(target.hostname, systemResolver, allowed);
    } catch (error) {
      if (error instanceof DestinationRefused) throw new WebhookSendError(`refused: ${target.hostname} is a private or special-purpose address; allow it with STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS`);
      throw new WebhookSendError(`could not resolve ${target.hostname}: ${(error as Error).message}`);
    }
    return this.request(target, address, headers, body);
  }

  private request(target: URL, address: string, headers: Record<string, string>, body: string): Promise<WebhookResponse> {
    const timeoutMs = this.env.STRATUS_WEBHOOK_TIMEOUT_MS;
    const client = target.protocol === 'https:' ? https : http;
    return new Promise<WebhookResponse>((resolve, reject) => {
      const req = client.request(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Stratus-Webhooks/1' },
          lookup: pinnedLookup(address),
          // A fresh connection per attempt: a pooled socket would skip the check of this attempt's address.
          agent: false,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () => resolve({ status: res.statusCode ?? 0, excerpt: Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8') });
          res.on('data', (chunk: Buffer) => {
            if (size >= EXCERPT_BYTES) return;
            chunks.push(chunk);
            size += chunk.length;
            // Enough is read: the rest of the body is never downloaded.
            if (size >= EXCERPT_BYTES) {
              finish();
              res.destroy();
            }
          });
          res.on('end', finish);
          res.on('error', (error) => reject(sendError(error, timeoutMs)));
        },
      );
      req.on('error', (error) => reject(sendError(error, timeoutMs)));
      req.end(body);
    });
  }
}
