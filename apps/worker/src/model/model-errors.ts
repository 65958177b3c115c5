import { UnknownModelError } from '@stratus/models';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

/** A streamed response went silent for longer than the idle timeout. */
export class ModelStreamStalledError extends Error {
  override name = 'ModelStreamStalledError';

  constructor(readonly idleMs: number) {
    super(`the model stream sent nothing for ${idleMs} ms`);
  }
}

/** The `session.error` error types of failed model calls. */
export type ModelErrorType = 'model_rate_limited_error' | 'model_overloaded_error' | 'model_request_failed_error';

/** What went wrong with a model call, as the turn reports and handles it. */
export interface ModelFailure {
  type: ModelErrorType;
  /**
   * Our own wording, safe to show to clients: never the provider's text, which can hold internal
   * URLs, account details or fragments of a key.
   */
  message: string;
  /** The provider's HTTP status, when it answered one. */
  providerStatus?: number;
  /** The provider's `error.type`, when it sent one that reads as an identifier. */
  providerErrorType?: string;
  /** The error as thrown, provider text included: for the operator's log only. */
  detail: string;
  /** 429, 5xx, timeouts and dropped connections are worth another try; a rejected request is not. */
  retryable: boolean;
  /** The provider's `retry-after`, in milliseconds. */
  retryAfterMs?: number;
}

/** The `error` object of a `session.error` event reporting a failed model call. */
export interface ModelErrorPayload {
  type: ModelErrorType;
  message: string;
  retry_status: 'retrying' | 'exhausted' | 'terminal';
  provider_status?: number;
  provider_error_type?: string;
}

/** `retry-after` as seconds or an HTTP date, in milliseconds from now. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const raw = headers?.get('retry-after-ms') ?? undefined;
  if (raw !== undefined && Number.isFinite(Number(raw))) return Number(raw);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** What an HTTP status from a model provider means, in words that do not depend on the provider. */
function statusMessage(status: number): string {
  if (status === 401 || status === 403) return 'the model provider refused the credentials';
  if (status === 404) return 'the model provider does not know this model or endpoint';
  if (status === 408) return 'the model provider timed out the request';
  if (status === 413) return 'the request is too large for the model provider';
  if (status === 429) return 'the model provider is rate limiting requests';
  if (status === 503 || status === 529) return 'the model provider is overloaded';
  if (status >= 500) return 'the model provider failed';
  return 'the model provider rejected the request';
}

/**
 * Error types are identifiers such as `invalid_request_error` or `rate_limit_exceeded`; anything
 * else (digits, dashes, spaces: where a key or a URL could hide) is not passed on.
 */
const PROVIDER_ERROR_TYPE = /^[A-Za-z][A-Za-z_]{0,63}$/;

function providerFields(apiError: APIError): Pick<ModelFailure, 'providerStatus' | 'providerErrorType'> {
  const type = typeof apiError.type === 'string' && PROVIDER_ERROR_TYPE.test(apiError.type) ? apiError.type : undefined;
  return { ...(apiError.status !== undefined ? { providerStatus: apiError.status } : {}), ...(type ? { providerErrorType: type } : {}) };
}

/** Classifies an error thrown by a model call. */
export function classifyModelError(error: unknown): ModelFailure {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof UnknownModelError) return { type: 'model_request_failed_error', message: error.message, detail, retryable: false };
  if (error instanceof ModelStreamStalledError) return { type: 'model_request_failed_error', message: error.message, detail, retryable: true };
  // Connection errors (timeouts included) are APIErrors without a status: check them first.
  if (error instanceof APIConnectionTimeoutError) return { type: 'model_request_failed_error', message: 'the model provider did not answer in time', detail, retryable: true };
  if (error instanceof APIConnectionError) return { type: 'model_request_failed_error', message: 'could not reach the model provider', detail, retryable: true };
  const apiError: APIError | undefined = error instanceof APIError ? error : undefined;
  if (apiError) {
    const fields = providerFields(apiError);
    const { status, headers } = apiError;
    // An error event inside a streamed response carries no status: treat it as a failure upstream.
    if (status === undefined) return { type: 'model_request_failed_error', message: 'the model provider reported an error in its stream', ...fields, detail, retryable: true };
    const message = `${statusMessage(status)} (HTTP ${status})`;
    if (status === 429) return { type: 'model_rate_limited_error', message, ...fields, detail, retryable: true, retryAfterMs: retryAfterMs(headers) };
    if (status === 503 || status === 529) return { type: 'model_overloaded_error', message, ...fields, detail, retryable: true, retryAfterMs: retryAfterMs(headers) };
    if (status >= 500 || status === 408 || status === 409) return { type: 'model_request_failed_error', message, ...fields, detail, retryable: true, retryAfterMs: retryAfterMs(headers) };
    return { type: 'model_request_failed_error', message, ...fields, detail, retryable: false };
  }
  // A connection cut in the middle of a stream surfaces as whatever fetch threw: worth retrying.
  return { type: 'model_request_failed_error', message: 'the connection to the model provider failed', detail, retryable: true };
}

/** The `session.error` payload of a failure: our message, plus the provider's status and error type. */
export function modelErrorPayload(failure: ModelFailure, retryStatus: ModelErrorPayload['retry_status']): ModelErrorPayload {
  return {
    type: failure.type,
    message: failure.message,
    retry_status: retryStatus,
    ...(failure.providerStatus !== undefined ? { provider_status: failure.providerStatus } : {}),
    ...(failure.providerErrorType !== undefined ? { provider_error_type: failure.providerErrorType } : {}),
  };
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `retry` (0 for the first): exponential with "equal jitter", never less than
 * what the provider asked for in retry-after, never more than the cap.
 */
export function retryDelayMs(retry: number, policy: BackoffPolicy, failure: ModelFailure, random = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  const jittered = exponential / 2 + (exponential / 2) * random();
  return Math.min(policy.maxMs, Math.max(jittered, failure.retryAfterMs ?? 0));
}
