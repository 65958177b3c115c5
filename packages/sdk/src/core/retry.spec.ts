import { APIConnectionError, makeAPIError } from './errors';
import { DEFAULT_RETRY, isIdempotentRequest, isRetryableError, retryDelayMs } from './retry';

const apiError = (status: number, type: string, message = 'x', param?: string, retryAfter?: number) => makeAPIError(status, type, message, 'req_1', param, retryAfter);

describe('retries', () => {
  it('retries only what cannot repeat an effect: safe methods, or a request carrying an Idempotency-Key', () => {
    expect(isIdempotentRequest('GET', {})).toBe(true);
    expect(isIdempotentRequest('DELETE', {})).toBe(true);
    expect(isIdempotentRequest('POST', {})).toBe(false);
    expect(isIdempotentRequest('POST', { 'Idempotency-Key': 'k' })).toBe(true);
  });

  it('retries connection errors, 408, 429, 5xx and a 409 for an idempotent request in progress; nothing else', () => {
    expect(isRetryableError(new APIConnectionError('refused'))).toBe(true);
    for (const [status, type] of [
      [408, 'api_error'],
      [429, 'rate_limit_error'],
      [500, 'api_error'],
      [502, 'api_error'],
      [503, 'overloaded_error'],
    ] as const) {
      expect(isRetryableError(apiError(status, type))).toBe(true);
    }
    expect(isRetryableError(apiError(409, 'conflict_error', 'A request with this Idempotency-Key is still in progress.', 'Idempotency-Key'))).toBe(true);
    expect(isRetryableError(apiError(409, 'conflict_error', 'Idempotency key reused with a different request body.', 'Idempotency-Key'))).toBe(false);
    expect(isRetryableError(apiError(409, 'conflict_error', 'version mismatch', 'version'))).toBe(false);
    for (const [status, type] of [
      [400, 'invalid_request_error'],
      [401, 'authentication_error'],
      [404, 'not_found_error'],
    ] as const) {
      expect(isRetryableError(apiError(status, type))).toBe(false);
    }
    expect(isRetryableError(new Error('a bug'))).toBe(false);
  });

  it('backs off exponentially with jitter: half of each delay fixed, half random, capped', () => {
    const low = [0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(n, new APIConnectionError('x'), DEFAULT_RETRY, () => 0));
    expect(low).toEqual([250, 500, 1000, 2000, 4000, 4000]);
    const high = [0, 1, 5].map((n) => retryDelayMs(n, new APIConnectionError('x'), DEFAULT_RETRY, () => 1));
    expect(high).toEqual([500, 1000, 8000]);
  });

  it("honours the server's retry-after, and gives up when it asks for longer than the client waits", () => {
    expect(retryDelayMs(0, apiError(429, 'rate_limit_error', 'slow down', undefined, 2), DEFAULT_RETRY, () => 0)).toBe(2000);
    expect(retryDelayMs(3, apiError(503, 'overloaded_error', 'busy', undefined, 0), DEFAULT_RETRY, () => 1)).toBe(0);
    expect(retryDelayMs(0, apiError(429, 'rate_limit_error', 'slow down', undefined, 3600), DEFAULT_RETRY)).toBeUndefined();
  });
});
