import {
  apiErrorFrom,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
  RequestTooLargeError,
  retryAfterSeconds,
} from './errors';

const envelope = (type: string, message: string, param?: string) => JSON.stringify({ type: 'error', error: { type, message, ...(param ? { param } : {}) }, request_id: 'req_abc' });

describe('error mapping', () => {
  it.each([
    [400, 'invalid_request_error', BadRequestError],
    [401, 'authentication_error', AuthenticationError],
    [403, 'permission_error', PermissionDeniedError],
    [404, 'not_found_error', NotFoundError],
    [405, 'invalid_request_error', BadRequestError],
    [409, 'conflict_error', ConflictError],
    [413, 'request_too_large', RequestTooLargeError],
    [429, 'rate_limit_error', RateLimitError],
    [500, 'api_error', InternalServerError],
    [503, 'overloaded_error', OverloadedError],
  ])('maps %i %s to its class, with status, type, message, request_id and param', async (status, type, Class) => {
    const error = await apiErrorFrom(new Response(envelope(type, 'model: field required.', 'model'), { status }));
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(APIError);
    expect(error.name).toBe(Class.name);
    expect(error).toMatchObject({ status, type, requestId: 'req_abc', param: 'model' });
    expect(error.message).toBe(`${status} ${type}: model: field required.`);
  });

  it('maps a response without an envelope (a proxy page) by its status, keeping the request-id header', async () => {
    const error = await apiErrorFrom(new Response('<html>Bad gateway</html>', { status: 502, headers: { 'request-id': 'req_h' } }));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ status: 502, type: 'api_error', requestId: 'req_h', param: undefined });
    expect(await apiErrorFrom(new Response('', { status: 429 }))).toBeInstanceOf(RateLimitError);
    expect(await apiErrorFrom(new Response('null', { status: 404 }))).toBeInstanceOf(NotFoundError);
  });

  it('reads retry-after as seconds, as an HTTP date, or retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds(new Headers({ 'retry-after': '3' }), now)).toBe(3);
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), now)).toBe(10);
    expect(retryAfterSeconds(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(0.25);
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterSeconds(new Headers(), now)).toBeUndefined();
  });

  it('tells a conflict of an idempotent request in progress from other conflicts', async () => {
    const inProgress = await apiErrorFrom(new Response(envelope('conflict_error', 'A request with this Idempotency-Key is still in progress.', 'Idempotency-Key'), { status: 409 }));
    const reused = await apiErrorFrom(new Response(envelope('conflict_error', 'Idempotency key reused with a different request body.', 'Idempotency-Key'), { status: 409 }));
    expect((inProgress as ConflictError).idempotentRequestInProgress).toBe(true);
    expect((reused as ConflictError).idempotentRequestInProgress).toBe(false);
  });
});
