/** What a zod schema of @stratus/contracts accepts (defaults optional), read from its type only so no zod code is bundled. */
export type InputOf<S extends { _zod: { input: unknown } }> = S['_zod']['input'];
/** What a zod schema of @stratus/contracts describes once parsed. */
export type OutputOf<S extends { _zod: { output: unknown } }> = S['_zod']['output'];

/** Options every method takes. */
export interface RequestOptions {
  /** Abandons the request (and any retry of it). */
  signal?: AbortSignal;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** The `Idempotency-Key` of a POST; by default a new UUID per call, kept across that call's retries. */
  idempotencyKey?: string;
  /** More headers to send. */
  headers?: Record<string, string>;
}

/** A query string's values: arrays are sent as `key[]=v` repeated, undefined values are left out. */
export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Record<string, QueryValue>;
