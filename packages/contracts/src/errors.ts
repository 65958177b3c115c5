import { z } from 'zod';

/** error.type values by HTTP status, as in the public API contract. */
export const ERROR_TYPES = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
} as const;

export type ErrorStatus = keyof typeof ERROR_TYPES;
export type ErrorType = (typeof ERROR_TYPES)[ErrorStatus];

export const ErrorEnvelope = z
  .object({
    type: z.literal('error'),
    error: z.object({
      type: z.enum(Object.values(ERROR_TYPES) as [ErrorType, ...ErrorType[]]),
      message: z.string(),
      param: z.string().optional(),
    }),
    request_id: z.string(),
  })
  .meta({ id: 'Error' });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
