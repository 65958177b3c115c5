import { apiErrorFrom, APIConnectionError, StratusError } from './errors.js';
import { DEFAULT_RETRY, isIdempotentRequest, isRetryableError, retryDelayMs, sleep, type RetryOptions } from './retry.js';
import type { Query, RequestOptions } from './types.js';
import { randomUUID } from './uuid.js';

export interface ClientOptions {
  /** Where the Stratus server is, e.g. `https://stratus.example.com` (the `/api/v1/cloud` prefix is added). */
  baseURL: string;
  /** A personal access token (`pt-…`). */
  token: string;
  /** Another fetch implementation (a proxy-aware one, a test double's transport). */
  fetch?: typeof fetch;
  /** Retries of a failed idempotent request (default 2). */
  maxRetries?: number;
  /** The backoff between retries, when the server sends no `retry-after`. */
  retry?: Partial<Omit<RetryOptions, 'maxRetries'>>;
  /** How long one attempt may take before it is abandoned as a connection error (default 60 s). */
  timeoutMs?: number;
  /**
   * Send an `Idempotency-Key` (a new UUID per call) with every POST, which also makes POSTs safe to
   * retry (default true). When false, only a POST given `idempotencyKey` carries one and is retried.
   */
  idempotencyKeys?: boolean;
  /** Headers sent with every request. */
  defaultHeaders?: Record<string, string>;
}

const API_PREFIX = '/api/v1/cloud';
const DEFAULT_TIMEOUT_MS = 60_000;

/** Encodes a query; arrays as `key[]=v` as the API expects. */
export function toSearchParams(query: Query = {}): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(`${key}[]`, item);
    else params.append(key, String(value));
  }
  return params;
}

/**
 * Builds URLs under the API prefix, authenticates, retries what is safe to retry, and turns error
 * responses into typed APIErrors.
 */
export class Transport {
  private readonly root: string;
  private readonly fetchImpl: typeof fetch;
  private readonly retry: RetryOptions;

  constructor(private readonly options: ClientOptions) {
    const base = options.baseURL.replace(/\/+$/, '');
    this.root = base.endsWith(API_PREFIX) ? base : base + API_PREFIX;
    // Called unbound, browsers' fetch throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.retry = { ...DEFAULT_RETRY, ...options.retry, maxRetries: options.maxRetries ?? DEFAULT_RETRY.maxRetries };
  }

  /** The absolute URL of a route such as `/sessions/{id}/events/stream`. */
  url(path: string, query?: URLSearchParams): string {
    const search = query?.toString();
    return `${this.root}${path}${search ? `?${search}` : ''}`;
  }

  /**
   * A JSON request: every POST carries an `Idempotency-Key` (one per call, the same on each retry),
   * and idempotent requests are retried on connection errors, 408, 409 in-progress, 429 and 5xx.
   */
  async request<T>(method: string, path: string, init: RequestOptions & { query?: Query; body?: unknown } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST' && !Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key')) {
      const key = init.idempotencyKey ?? (this.options.idempotencyKeys === false ? undefined : randomUUID());
      if (key !== undefined) headers['idempotency-key'] = key;
    }
    const url = this.url(path, toSearchParams(init.query));
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const maxRetries = isIdempotentRequest(method, headers) ? (init.maxRetries ?? this.retry.maxRetries) : 0;
    for (let retry = 0; ; retry++) {
      try {
        return await this.attempt<T>(method, url, headers, body, init.signal);
      } catch (error) {
        if (init.signal?.aborted || retry >= maxRetries || !isRetryableError(error)) throw error;
        const delay = retryDelayMs(retry, error, this.retry);
        if (delay === undefined) throw error;
        await sleep(delay, init.signal);
        if (init.signal?.aborted) throw error;
      }
    }
  }

  /** One attempt of a JSON request, bounded by the time-out from sending to the end of the body. */
  private async attempt<T>(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<T> {
    const controller = new AbortController();
    const abort = () => controller.abort(signal?.reason);
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const response = await this.send(method, url, { headers, body, signal: controller.signal });
      const text = await response.text();
      if (text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new StratusError(`${method} ${url} answered ${response.status} with a body that is not JSON.`);
      }
    } catch (error) {
      if (timedOut) throw new APIConnectionError(`cannot reach ${url}: no answer within ${timeoutMs} ms`, { cause: error });
      if (signal?.aborted || error instanceof StratusError) throw error;
      throw new APIConnectionError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    }
  }

  /** Sends one request; resolves with the response when it is a success, throws an APIError when it is not. */
  async send(method: string, url: string, init: { headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...this.options.defaultHeaders, ...init.headers },
        body: init.body,
        signal: init.signal,
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new APIConnectionError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw await apiErrorFrom(response);
    return response;
  }
}
