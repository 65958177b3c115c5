import { jitter } from '../streaming/backoff.js';
import { APIConnectionError, APIError, ConflictError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (0: none). */
  maxRetries: number;
  /** The delay before the first retry; each further retry doubles it, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A `retry-after` longer than this is not waited for: the error is thrown at once. */
  maxRetryAfterSeconds: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxRetries: 2, initialDelayMs: 500, maxDelayMs: 8000, maxRetryAfterSeconds: 60 };

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** A request may be sent again only when doing so cannot repeat its effect. */
export function isIdempotentRequest(method: string, headers: Record<string, string>): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || Object.keys(headers).some((name) => name.toLowerCase() === 'idempotency-key');
}

/**
 * Whether a failure is of the moment: the connection failed, or the server answered 408, 429, 5xx,
 * or 409 because the same idempotency key is still being processed (a retry later gets its answer).
 */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof APIConnectionError) return true;
  if (error instanceof ConflictError) return error.idempotentRequestInProgress;
  if (error instanceof APIError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return false;
}

/**
 * How long to wait before retry number `retry` (0 for the first), or undefined when the server asked
 * for a longer wait than the client accepts: the server's `retry-after` when it sent one, else
 * jittered exponential backoff (half fixed, half random, doubling from `initialDelayMs`).
 */
export function retryDelayMs(retry: number, error: unknown, options: RetryOptions = DEFAULT_RETRY, random: () => number = Math.random): number | undefined {
  const retryAfter = error instanceof APIError ? error.retryAfterSeconds : undefined;
  if (retryAfter !== undefined) return retryAfter <= options.maxRetryAfterSeconds ? retryAfter * 1000 : undefined;
  return jitter(Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** retry), random);
}

/** Resolves after `ms`, or at once when the signal aborts (the caller checks `signal.aborted`). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
