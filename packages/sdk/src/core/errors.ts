/** Base class of every error the SDK throws. */
export class StratusError extends Error {}

/** The API answered with an error status; carries the documented error envelope's fields. */
export class APIError extends StratusError {
  constructor(
    readonly status: number,
    /** `error.type` of the envelope, e.g. `not_found_error`. */
    readonly type: string,
    message: string,
    readonly requestId: string | undefined,
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

/** The server could not be reached, or the connection broke. */
export class APIConnectionError extends StratusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface ErrorEnvelope {
  error?: { type?: unknown; message?: unknown; param?: unknown };
  request_id?: unknown;
}

/** Reads an error response (the envelope when there is one) into an APIError. */
export async function apiErrorFrom(response: Response): Promise<APIError> {
  const text = await response.text().catch(() => '');
  let envelope: ErrorEnvelope = {};
  try {
    envelope = JSON.parse(text) as ErrorEnvelope;
  } catch {
    // not JSON (a proxy's HTML page): keep the status and the text
  }
  const error = envelope.error ?? {};
  const retryAfter = Number(response.headers.get('retry-after'));
  return new APIError(
    response.status,
    typeof error.type === 'string' ? error.type : 'api_error',
    typeof error.message === 'string' ? error.message : text.slice(0, 200) || response.statusText,
    typeof envelope.request_id === 'string' ? envelope.request_id : (response.headers.get('request-id') ?? undefined),
    typeof error.param === 'string' ? error.param : undefined,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  );
}
