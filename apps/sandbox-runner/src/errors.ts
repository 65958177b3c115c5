/** error.type values, the same vocabulary as the public API so the worker can pass them through. */
export type RunnerErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'api_error';

/**
 * An error a tool throws to answer with a specific status; anything else becomes a 500. Whatever the
 * model caused (a bad path, a failed fetch) is a 4xx the worker shows it as a tool error; a 5xx means
 * the runner itself is broken.
 */
export class ToolError extends Error {
  override name = 'ToolError';

  constructor(
    readonly status: number,
    readonly type: RunnerErrorType,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ToolError(400, 'invalid_request_error', message);
export const forbidden = (message: string) => new ToolError(403, 'permission_error', message);
export const notFound = (message: string) => new ToolError(404, 'not_found_error', message);

/** The errno code of a Node.js system error ("ENOENT"), without relying on instanceof across realms. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
