import { HttpException } from '@nestjs/common';
import { ERROR_TYPES, type ErrorEnvelope, type ErrorStatus } from '@stratus/contracts';
import { ApiError } from './api-error';

export interface ErrorResponse {
  status: ErrorStatus;
  body: ErrorEnvelope;
  headers: Record<string, string>;
  /** True for errors that are our fault and must be logged with their stack. */
  unexpected: boolean;
}

// Connection failures, and P2028: no pooled connection became free in time to start a transaction
// (DATABASE_POOL_TIMEOUT_MS), which is overload rather than a bug; node-postgres says the same of a
// plain query in its own words.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'P1001', 'P1002', 'P1017', 'P2028', '57P01', '57P03', '53300']);

/** True when the error says PostgreSQL or Redis cannot be reached, which is retryable (503). */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (name === 'PrismaClientInitializationError' || name === 'MaxRetriesPerRequestError') return true;
    if (typeof message === 'string' && /Connection is closed|connect ECONNREFUSED|Can't reach database server|Connection terminated|DatabaseNotReachable|timeout exceeded when trying to connect/i.test(message)) return true;
  }
  return false;
}

function fromStatus(status: number, message: string): ApiError {
  if (status in ERROR_TYPES) return new ApiError(status as ErrorStatus, message);
  if (status === 415 || status === 422 || (status >= 400 && status < 500)) return new ApiError(400, message);
  return new ApiError(500, 'Internal server error.');
}

function toApiError(error: unknown): { apiError: ApiError; unexpected: boolean } {
  if (error instanceof ApiError) return { apiError: error, unexpected: false };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const message = status === 404 ? 'Route not found.' : error.message;
    return { apiError: fromStatus(status, message), unexpected: status >= 500 };
  }
  if (isDependencyUnavailable(error)) {
    return { apiError: new ApiError(503, 'A dependency of the service is unavailable; retry shortly.'), unexpected: true };
  }
  // Errors raised by Fastify itself before a handler runs: body too large, bad JSON, bad headers.
  const fastify = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fastify.statusCode === 'number' && typeof fastify.code === 'string' && fastify.code.startsWith('FST_')) {
    if (fastify.statusCode === 413) return { apiError: new ApiError(413, 'Request body is too large.'), unexpected: false };
    if (fastify.statusCode < 500) return { apiError: fromStatus(fastify.statusCode, String(fastify.message)), unexpected: false };
  }
  return { apiError: new ApiError(500, 'Internal server error.'), unexpected: true };
}

/** Renders any error as the documented envelope; nothing a client sends should end up as a 500. */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  const { apiError, unexpected } = toApiError(error);
  const headers = { ...apiError.headers };
  if (apiError.status === 503 && !headers['retry-after']) headers['retry-after'] = '1';
  return {
    status: apiError.status,
    headers,
    unexpected,
    body: {
      type: 'error',
      error: { type: apiError.type, message: apiError.message, ...(apiError.param ? { param: apiError.param } : {}) },
      request_id: requestId,
    },
  };
}
