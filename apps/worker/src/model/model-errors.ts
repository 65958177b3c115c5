import { UnknownModelError } from '@stratus/models';
import { APIConnectionError, APIError } from 'openai';

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
  message: string;
  /** 429, 5xx, timeouts and dropped connections are worth another try; a rejected request is not. */
  retryable: boolean;
  /** The provider's `retry-after`, in milliseconds. */
  retryAfterMs?: number;
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

/** Classifies an error thrown by a model call. */
export function classifyModelError(error: unknown): ModelFailure {
  if (error instanceof UnknownModelError) return { type: 'model_request_failed_error', message: error.message, retryable: false };
  if (error instanceof ModelStreamStalledError) return { type: 'model_request_failed_error', message: error.message, retryable: true };
  // Connection errors (timeouts included) are APIErrors without a status: check them first.
  if (error instanceof APIConnectionError) {
    return { type: 'model_request_failed_error', message: `could not reach the model: ${error.message}`, retryable: true };
  }
  const apiError: APIError | undefined = error instanceof APIError ? error : undefined;
  if (apiError?.status !== undefined) {
    const { status, headers } = apiError;
    const message = `the model endpoint answered ${status}: ${apiError.message}`;
    if (status === 429) return { type: 'model_rate_limited_error', message, retryable: true, retryAfterMs: retryAfterMs(headers) };
    if (status === 503 || status === 529) return { type: 'model_overloaded_error', message, retryable: true, retryAfterMs: retryAfterMs(headers) };
    if (status >= 500 || status === 408 || status === 409) return { type: 'model_request_failed_error', message, retryable: true, retryAfterMs: retryAfterMs(headers) };
    return { type: 'model_request_failed_error', message, retryable: false };
  }
  // A connection cut in the middle of a stream surfaces as whatever fetch threw: worth retrying.
  return { type: 'model_request_failed_error', message: `the model call failed: ${error instanceof Error ? error.message : String(error)}`, retryable: true };
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
