import { invalidRequest } from '../errors/api-error';

/** A query string as Fastify parses it: repeated keys become arrays. */
export type Query = Record<string, string | string[] | undefined>;

/** A single-valued parameter; sending it twice is a 400. */
export function stringParam(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw invalidRequest(`${name}: must be given once.`, name);
  return value;
}

/**
 * An array filter as SDKs send it (`key[]=a&key[]=b`), also accepting a repeated or
 * comma-separated `key=a,b`.
 */
export function arrayParam(query: Query, name: string): string[] | undefined {
  const values = [query[`${name}[]`], query[name]].flat().filter((v): v is string => v !== undefined);
  if (values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

export function boolParam(query: Query, name: string): boolean | undefined {
  const value = stringParam(query, name);
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidRequest(`${name}: must be true or false.`, name);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `created_at[gte]`-style bounds as Dates. */
export function dateParam(query: Query, name: string): Date | undefined {
  const value = stringParam(query, name);
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!RFC3339.test(value) || Number.isNaN(date.getTime())) throw invalidRequest(`${name}: must be an RFC 3339 timestamp.`, name);
  return date;
}

/** The `created_at[gte]` / `created_at[lte]` filter shared by lists. */
export function createdAtRange(query: Query): { gte?: Date; lte?: Date } | undefined {
  const gte = dateParam(query, 'created_at[gte]');
  const lte = dateParam(query, 'created_at[lte]');
  if (!gte && !lte) return undefined;
  return { ...(gte ? { gte } : {}), ...(lte ? { lte } : {}) };
}

export function enumArrayParam<T extends string>(query: Query, name: string, allowed: readonly T[]): T[] | undefined {
  const values = arrayParam(query, name);
  if (!values) return undefined;
  for (const value of values) {
    if (!allowed.includes(value as T)) throw invalidRequest(`${name}[]: must be one of ${allowed.join(', ')} (got "${value}").`, `${name}[]`);
  }
  return values as T[];
}
