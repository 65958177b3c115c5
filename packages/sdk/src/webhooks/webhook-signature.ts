import { StratusError } from '../core/errors.js';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` holds one or
 * more space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the bytes of a
 * `whsec_<base64>` secret. Web Crypto only, so it runs in Node, browsers and edge runtimes alike.
 */

/** A delivery that is not authentic, is too old or too new, or lacks a header. */
export class WebhookVerificationError extends StratusError {
  override name = 'WebhookVerificationError';
}

/** Request headers as Fetch's `Headers` or Node's `IncomingHttpHeaders`. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now, in seconds (default 300): older deliveries are replays. */
  toleranceSeconds?: number;
  /** The current time in milliseconds (default `Date.now()`). */
  now?: number;
}

const SECRET_PREFIX = 'whsec_';
const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function secretKey(secret: string) {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  } catch {
    throw new WebhookVerificationError('The webhook secret is not base64 (expected whsec_<base64>).');
  }
  return globalThis.crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Compares in time that depends only on the lengths, so a forger learns nothing from timing. */
function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The `v1,<base64>` signature of a delivery: what a sender puts in `webhook-signature`. */
export async function signWebhook(secret: string, delivery: { id: string; timestamp: number; payload: string | Uint8Array }): Promise<string> {
  const body = typeof delivery.payload === 'string' ? encoder.encode(delivery.payload) : delivery.payload;
  const signed = concat(encoder.encode(`${delivery.id}.${delivery.timestamp}.`), body);
  const mac = await globalThis.crypto.subtle.sign('HMAC', await secretKey(secret), signed);
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/**
 * Checks a delivery's signature and timestamp and returns its parsed JSON body; throws a
 * WebhookVerificationError otherwise. Pass the body exactly as received (not re-serialized JSON).
 */
export async function verifyWebhook(payload: string | Uint8Array, headers: WebhookHeaders, secret: string, options: VerifyWebhookOptions = {}): Promise<unknown> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds.');
  const seconds = Number(timestamp);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (seconds < now - tolerance) throw new WebhookVerificationError('The webhook timestamp is too old.');
  if (seconds > now + tolerance) throw new WebhookVerificationError('The webhook timestamp is in the future.');
  const expected = await signWebhook(secret, { id, timestamp: seconds, payload });
  const matches = signatures.split(' ').filter((candidate) => candidate.startsWith('v1,') && timingSafeEqual(candidate, expected));
  if (matches.length === 0) throw new WebhookVerificationError('No webhook-signature matches the payload.');
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WebhookVerificationError('The webhook payload is not JSON.');
  }
}
