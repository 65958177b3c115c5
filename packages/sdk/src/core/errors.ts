import type { ErrorType } from '@stratus/contracts';

/**
 * Base class of every error the SDK throws. Each class names itself in a string, not from
 * `constructor.name`, which a minifying bundler renames.
 */
export class StratusError extends Error {
  override name = 'StratusError';
}

/** The API answered with an error status; carries the documented error envelope's fields. */
export class APIError extends StratusError {
  override name = 'APIError';

  constructor(
    readonly status: number,
    /** `error.type` of the envelope, e.g. `not_found_error`. */
    readonly type: string,
    message: string,
    /** The `request_id` of the envelope (or the `request-id` header): quote it when reporting a problem. */
    readonly requestId: string | undefined,
    /** The request field the error is about, when the server named one. */
    readonly param: string | undefined,
    /** Seconds from a `retry-after` header, when the server sent one. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`${status} ${type}: ${message}`);
  }

  /** Whether asking again later can succeed: rate limits, conflicts of the moment and server faults. */
  get retryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** 400 `invalid_request_error`: the request is malformed or failed validation (see `param`). */
export class BadRequestError extends APIError {
  override name = 'BadRequestError';
}
/** 401 `authentication_error`: the token is missing, wrong or revoked. */
export class AuthenticationError extends APIError {
  override name = 'AuthenticationError';
}
/** 403 `permission_error`: the token lacks the scope for this action. */
export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError';
}
/** 404 `not_found_error`: no such object in the token's workspace. */
export class NotFoundError extends APIError {
  override name = 'NotFoundError';
}
/** 409 `conflict_error`: a version mismatch, a duplicate name, a state that forbids the action, or an idempotency key in use. */
export class ConflictError extends APIError {
  override name = 'ConflictError';

  /** The same `Idempotency-Key` is still being processed: asking again later gets its response. */
  get idempotentRequestInProgress(): boolean {
    return this.param === 'Idempotency-Key' && /in progress/i.test(this.message);
  }
}
/** 413 `request_too_large`: the body is over the server's limit. */
export class RequestTooLargeError extends APIError {
  override name = 'RequestTooLargeError';
}
/** 429 `rate_limit_error`: the token's rate limit; `retryAfterSeconds` says when to come back. */
export class RateLimitError extends APIError {
  override name = 'RateLimitError';
}
/** 500 `api_error`: a fault of the server. */
export class InternalServerError extends APIError {
  override name = 'InternalServerError';
}
/** 503 `overloaded_error`: a dependency of the server is unavailable for now. */
export class OverloadedError extends APIError {
  override name = 'OverloadedError';
}

/** The server could not be reached, or the connection broke. */
export class APIConnectionError extends StratusError {
  override name = 'APIConnectionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

type APIErrorClass = new (...args: ConstructorParameters<typeof APIError>) => APIError;

/** Each documented `error.type`: the status that answers with it and the class the SDK throws for it. */
const ERRORS = {
  invalid_request_error: { status: 400, Class: BadRequestError },
  authentication_error: { status: 401, Class: AuthenticationError },
  permission_error: { status: 403, Class: PermissionDeniedError },
  not_found_error: { status: 404, Class: NotFoundError },
  conflict_error: { status: 409, Class: ConflictError },
  request_too_large: { status: 413, Class: RequestTooLargeError },
  rate_limit_error: { status: 429, Class: RateLimitError },
  api_error: { status: 500, Class: InternalServerError },
  overloaded_error: { status: 503, Class: OverloadedError },
} satisfies Record<ErrorType, { status: number; Class: APIErrorClass }>;

const BY_TYPE = new Map<string, APIErrorClass>(Object.entries(ERRORS).map(([type, { Class }]) => [type, Class]));
/** The documented error.type of each status, for responses without an envelope (a proxy's page). */
const TYPE_BY_STATUS = new Map<number, string>(Object.entries(ERRORS).map(([type, { status }]) => [status, type]));

/**
 * The APIError subclass for a response: by the envelope's `error.type`, else by status (a proxy's
 * page has no envelope), else InternalServerError for any 5xx and APIError for the rest.
 */
export function makeAPIError(...args: ConstructorParameters<typeof APIError>): APIError {
  const [status, type] = args;
  const Class = BY_TYPE.get(type) ?? BY_TYPE.get(TYPE_BY_STATUS.get(status) ?? '') ?? (status >= 500 ? InternalServerError : APIError);
  return new Class(...args);
}

interface ErrorEnvelope {
  error?: { type?: unknown; message?: unknown; param?: unknown };
  request_id?: unknown;
}

/** Seconds to wait from `retry-after-ms`, or `retry-after` as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** Reads an error response (the envelope when there is one) into the APIError subclass of its type. */
export async function apiErrorFrom(response: Response): Promise<APIError> {
  const text = await response.text().catch(() => '');
  let envelope: ErrorEnvelope = {};
  try {
    envelope = JSON.parse(text) as ErrorEnvelope;
  } catch {
    // not JSON (a proxy's HTML page): keep the status and the text
  }
  const error = typeof envelope === 'object' && envelope !== null ? (envelope.error ?? {}) : {};
  const type = typeof error.type === 'string' ? error.type : (TYPE_BY_STATUS.get(response.status) ?? (response.status >= 500 ? 'api_error' : 'invalid_request_error'));
  return makeAPIError(
    response.status,
    type,
    typeof error.message === 'string' ? error.message : text.slice(0, 200) || response.statusText,
    typeof envelope?.request_id === 'string' ? envelope.request_id : (response.headers.get('request-id') ?? undefined),
    typeof error.param === 'string' ? error.param : undefined,
    retryAfterSeconds(response.headers),
  );
}
