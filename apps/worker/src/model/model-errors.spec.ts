import { UnknownModelError } from '@stratus/models';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { classifyModelError, modelErrorPayload, ModelStreamStalledError, retryDelayMs } from './model-errors';

const apiError = (status: number, headers: Record<string, string> = {}) => APIError.generate(status, { error: { message: 'nope' } }, undefined, new Headers(headers));

describe('classifyModelError', () => {
  it.each([
    [429, 'model_rate_limited_error', true],
    [503, 'model_overloaded_error', true],
    [529, 'model_overloaded_error', true],
    [500, 'model_request_failed_error', true],
    [502, 'model_request_failed_error', true],
    [408, 'model_request_failed_error', true],
    [400, 'model_request_failed_error', false],
    [401, 'model_request_failed_error', false],
    [404, 'model_request_failed_error', false],
  ])('HTTP %i is a %s, retryable: %s', (status, type, retryable) => {
    expect(classifyModelError(apiError(status))).toMatchObject({ type, retryable });
  });

  it('retries timeouts, dropped connections and stalled streams, never an unknown model', () => {
    expect(classifyModelError(new APIConnectionTimeoutError())).toMatchObject({ retryable: true });
    expect(classifyModelError(new APIConnectionError({ message: 'ECONNREFUSED' }))).toMatchObject({ retryable: true });
    expect(classifyModelError(new ModelStreamStalledError(500))).toMatchObject({ retryable: true, message: expect.stringMatching(/500 ms/) });
    expect(classifyModelError(new TypeError('terminated'))).toMatchObject({ retryable: true });
    expect(classifyModelError(new UnknownModelError('gone'))).toMatchObject({ retryable: false });
  });

  it('says what happened in its own words, keeping the provider\'s text for the log only', () => {
    const leaky = 'bad key sk-proj-123SECRET at https://llm.internal.example/v1';
    const rejected = classifyModelError(APIError.generate(401, { error: { message: leaky, type: 'invalid_request_error' } }, undefined, new Headers()));
    expect(rejected).toMatchObject({ message: 'the model provider refused the credentials (HTTP 401)', providerStatus: 401, providerErrorType: 'invalid_request_error', detail: expect.stringContaining(leaky) });

    const inStream = classifyModelError(new APIError(undefined, { message: leaky, type: 'server_error' }, undefined, new Headers()));
    expect(inStream).toMatchObject({ message: 'the model provider reported an error in its stream', providerErrorType: 'server_error', retryable: true });
    expect(inStream.providerStatus).toBeUndefined();

    for (const error of [new TypeError(`fetch to https://llm.internal.example failed`), new APIConnectionError({ message: leaky }), new APIConnectionTimeoutError({ message: leaky })]) {
      expect(classifyModelError(error).message).not.toMatch(/internal|SECRET/);
    }
  });

  it('passes on a provider error type only when it reads as an identifier', () => {
    const typed = (type: unknown) => classifyModelError(APIError.generate(400, { error: { message: 'x', type } }, undefined, new Headers())).providerErrorType;
    expect(typed('context_length_exceeded')).toBe('context_length_exceeded');
    expect(typed('sk-proj-123SECRET')).toBeUndefined();
    expect(typed('see https://llm.internal.example')).toBeUndefined();
    expect(typed(42)).toBeUndefined();
    expect(typed('a'.repeat(65))).toBeUndefined();
  });

  it('builds the session.error payload with the provider fields only when known', () => {
    const failure = classifyModelError(APIError.generate(429, { error: { message: 'x', type: 'rate_limit_exceeded' } }, undefined, new Headers()));
    expect(modelErrorPayload(failure, 'retrying')).toEqual({
      type: 'model_rate_limited_error',
      message: 'the model provider is rate limiting requests (HTTP 429)',
      retry_status: 'retrying',
      provider_status: 429,
      provider_error_type: 'rate_limit_exceeded',
    });
    expect(modelErrorPayload(classifyModelError(new APIConnectionError({ message: 'down' })), 'exhausted')).toEqual({
      type: 'model_request_failed_error',
      message: 'could not reach the model provider',
      retry_status: 'exhausted',
    });
  });

  it('reads retry-after in seconds and retry-after-ms', () => {
    expect(classifyModelError(apiError(429, { 'retry-after': '2' })).retryAfterMs).toBe(2000);
    expect(classifyModelError(apiError(503, { 'retry-after-ms': '150' })).retryAfterMs).toBe(150);
    expect(classifyModelError(apiError(429)).retryAfterMs).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  const failure = { type: 'model_request_failed_error' as const, message: '', detail: '', retryable: true };

  it('doubles per retry with jitter in the upper half, capped', () => {
    expect([0, 1, 2, 3, 4].map((retry) => retryDelayMs(retry, policy, failure, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect([0, 1, 2].map((retry) => retryDelayMs(retry, policy, failure, () => 0))).toEqual([50, 100, 200]);
  });

  it('waits at least what the provider asked for, up to the cap', () => {
    expect(retryDelayMs(0, policy, { ...failure, retryAfterMs: 700 }, () => 0)).toBe(700);
    expect(retryDelayMs(0, policy, { ...failure, retryAfterMs: 60_000 }, () => 0)).toBe(1000);
  });
});
