import { ERROR_TYPES, type ErrorStatus, type ErrorType } from '@stratus/contracts';

/** An error with a place in the public error table; the filter renders it as the envelope. */
export class ApiError extends Error {
  readonly type: ErrorType;

  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.type = ERROR_TYPES[status];
  }
}

export const invalidRequest = (message: string, param?: string) => new ApiError(400, message, param);
export const unauthenticated = (message = 'Invalid or missing token.') => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
export const notFound = (what: string, id?: string, param?: string) =>
  new ApiError(404, id ? `${what} ${id} not found.` : `${what} not found.`, param);
export const conflict = (message: string, param?: string) => new ApiError(409, message, param);
export const overloaded = (message: string) => new ApiError(503, message);
