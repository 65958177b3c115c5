import { HttpException, NotFoundException } from '@nestjs/common';
import { ApiError } from './api-error';
import { isDependencyUnavailable, toErrorResponse } from './error-response';

describe('toErrorResponse', () => {
  it('renders an ApiError with its status, type, param and headers', () => {
    const response = toErrorResponse(new ApiError(429, 'slow down', undefined, { 'retry-after': '3' }), 'req_1');
    expect(response).toEqual({
      status: 429,
      headers: { 'retry-after': '3' },
      unexpected: false,
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' }, request_id: 'req_1' },
    });
    expect(toErrorResponse(new ApiError(400, 'bad', 'name'), 'r').body.error.param).toBe('name');
  });

  it('maps unmatched routes to the 404 envelope and a wrong method to 405', () => {
    expect(toErrorResponse(new NotFoundException(), 'r').body.error).toEqual({ type: 'not_found_error', message: 'Route not found.' });
    expect(toErrorResponse(new HttpException('nope', 405), 'r').status).toBe(405);
  });

  it('maps Fastify body errors to 413 and 400', () => {
    expect(toErrorResponse(Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }), 'r').body.error.type).toBe('request_too_large');
    expect(toErrorResponse(Object.assign(new Error('bad'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), 'r').status).toBe(400);
  });

  it('answers 503 overloaded_error with retry-after when PostgreSQL or Redis is unreachable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const response = toErrorResponse(new Error('query failed', { cause: refused }), 'r');
    expect(response.status).toBe(503);
    expect(response.body.error.type).toBe('overloaded_error');
    expect(response.headers['retry-after']).toBe('1');
    expect(isDependencyUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isDependencyUnavailable(Object.assign(new Error('Unable to start a transaction in the given time.'), { code: 'P2028' }))).toBe(true);
    expect(isDependencyUnavailable(new Error('column does not exist'))).toBe(false);
  });

  it('renders anything else as a 500 api_error without leaking the message', () => {
    const response = toErrorResponse(new TypeError('cannot read properties of undefined (secret detail)'), 'req_9');
    expect(response).toMatchObject({ status: 500, unexpected: true, body: { error: { type: 'api_error', message: 'Internal server error.' }, request_id: 'req_9' } });
  });
});
