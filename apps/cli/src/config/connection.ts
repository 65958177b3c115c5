import { Stratus } from '@stratus/sdk';
import { UsageError } from '../errors';
import { readConfig } from './config-store';

export const DEFAULT_BASE_URL = 'http://localhost:8080';

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
  const stored = await readConfig(env);
  const baseUrl = options.baseUrl ?? (env.STRATUS_BASE_URL || undefined) ?? stored.baseUrl ?? DEFAULT_BASE_URL;
  const token = options.token ?? (env.STRATUS_TOKEN || undefined) ?? stored.token;
  if (!token) throw new UsageError('No token: run `stratus login`, or set STRATUS_TOKEN (and STRATUS_BASE_URL).');
  if (!/^https?:\/\//.test(baseUrl)) throw new UsageError(`The base URL must start with http:// or https:// (got "${baseUrl}").`);
  return { baseUrl, token };
}

export function clientFor(connection: Connection): Stratus {
  return new Stratus({ baseURL: connection.baseUrl, token: connection.token });
}
