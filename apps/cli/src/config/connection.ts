import { parseEnv } from '@stratus/contracts';
import { Stratus } from '@stratus/sdk';
import { z } from 'zod';
import { UsageError } from '../errors';
import { readConfig } from './config-store';

export const DEFAULT_BASE_URL = 'http://localhost:8080';

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** The variables the CLI reads from its environment; an empty one counts as unset. */
const CliEnv = z.object({
  STRATUS_BASE_URL: z.preprocess((v: unknown) => (v === '' ? undefined : v), HttpUrl.optional()),
  STRATUS_TOKEN: z.preprocess((v: unknown) => (v === '' ? undefined : v), z.string().optional()),
});

/** The global options every command accepts. */
export interface ConnectionOptions {
  baseUrl?: string;
  token?: string;
}

export interface Connection {
  baseUrl: string;
  token: string;
}

/** Where to connect and as whom: flags, then STRATUS_BASE_URL/STRATUS_TOKEN, then what `stratus login` stored. */
export async function resolveConnection(options: ConnectionOptions, env: NodeJS.ProcessEnv): Promise<Connection> {
  const vars = parseEnv(CliEnv, env, { what: 'environment', error: (message) => new UsageError(message) });
  const stored = await readConfig(env);
  const baseUrl = options.baseUrl ?? vars.STRATUS_BASE_URL ?? stored.baseUrl ?? DEFAULT_BASE_URL;
  const token = options.token ?? vars.STRATUS_TOKEN ?? stored.token;
  if (!token) throw new UsageError('No token: run `stratus login`, or set STRATUS_TOKEN (and STRATUS_BASE_URL).');
  if (!HttpUrl.safeParse(baseUrl).success) throw new UsageError(`The base URL must start with http:// or https:// (got "${baseUrl}").`);
  return { baseUrl, token };
}

export function clientFor(connection: Connection): Stratus {
  return new Stratus({ baseURL: connection.baseUrl, token: connection.token });
}
