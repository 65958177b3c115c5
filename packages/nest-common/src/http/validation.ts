import type { z } from 'zod';
import { invalidRequest } from '../errors/api-error';

/** The dotted path of the first problem, naming an unknown key as the field itself. */
function paramOf(issue: z.core.$ZodIssue): string | undefined {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!);
  return path.length ? path.join('.') : undefined;
}

function messageOf(issue: z.core.$ZodIssue, param: string | undefined): string {
  if (issue.code === 'unrecognized_keys') return `Unknown field: ${param}.`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${param ?? 'body'}: field required.`;
  return param ? `${param}: ${issue.message}` : issue.message;
}

/** Parses input with a schema or throws a 400 that names the offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root?: string): z.output<S> {
  if (root === undefined && (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input))) {
    return throwInvalid('Request body must be a JSON object.', undefined);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = paramOf(issue);
  const full = root ? (param ? `${root}.${param}` : root) : param;
  return throwInvalid(messageOf(issue, full), full);
}

function throwInvalid(message: string, param: string | undefined): never {
  throw invalidRequest(message, param);
}
