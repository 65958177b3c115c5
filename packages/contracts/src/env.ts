import type { z } from 'zod';

export interface ParseEnvOptions {
  /** What is being configured, for the first line of the message (default `configuration`). */
  what?: string;
  /** The error to throw with the message (default a plain Error), for processes that tell configuration errors apart. */
  error?: (message: string) => Error;
}

/**
 * Parses a process's environment with its zod schema, once at boot. On bad input it throws one error
 * naming every bad variable, a line each: `invalid configuration:\n  PORT: …\n  LOG_LEVEL: …`.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, options: ParseEnvOptions = {}): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  const message = `invalid ${options.what ?? 'configuration'}:\n${lines.join('\n')}`;
  throw options.error ? options.error(message) : new Error(message);
}
