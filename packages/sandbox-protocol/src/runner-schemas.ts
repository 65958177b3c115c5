import { z } from 'zod';

/*
 * The runner's request and response bodies. The runner parses each request with its schema (defaults
 * applied, unknown fields refused); a client sends z.input of it and reads z.infer of the result.
 */

export const ExecRequest = z.strictObject({
  command: z.string().min(1),
  timeout_ms: z.number().int().positive().max(600_000).default(120_000),
  /** What stdout and stderr together may show (each cut stream also carries a one-line note). */
  max_output_bytes: z.number().int().positive().max(10_000_000).default(100_000),
});
export type ExecRequest = z.input<typeof ExecRequest>;

export const ExecResult = z.object({
  /** 128 + signal number when the command was killed. */
  exit_code: z.number().int(),
  /** When cut, its beginning and its end with an `[output truncated: …]` line between them. */
  stdout: z.string(),
  stderr: z.string(),
  timed_out: z.boolean(),
  truncated: z.boolean(),
  duration_ms: z.number(),
  /** Bytes the command wrote to each stream, whatever was kept of them. */
  stdout_bytes: z.number().int(),
  stderr_bytes: z.number().int(),
});
export type ExecResult = z.infer<typeof ExecResult>;

export const ReadRequest = z.strictObject({
  path: z.string().min(1),
  /** 1-based first line. */
  offset: z.number().int().min(1).default(1),
  limit: z.number().int().min(1).max(100_000).default(2000),
  /** Bytes of content at most (whole lines, the first always). */
  max_bytes: z.number().int().min(1).max(10_000_000).default(256 * 1024),
});
export type ReadRequest = z.input<typeof ReadRequest>;

export const ReadResult = z.object({
  path: z.string(),
  content: z.string(),
  start_line: z.number().int(),
  num_lines: z.number().int(),
  total_lines: z.number().int(),
  /** Lines of this page cut at 2000 characters. */
  cut_lines: z.number().int(),
});
export type ReadResult = z.infer<typeof ReadResult>;

export const WriteRequest = z.strictObject({ path: z.string().min(1), content: z.string() });
export type WriteRequest = z.input<typeof WriteRequest>;

export const WriteResult = z.object({ path: z.string(), bytes_written: z.number().int() });
export type WriteResult = z.infer<typeof WriteResult>;

export const EditRequest = z.strictObject({
  path: z.string().min(1),
  old_string: z.string().min(1),
  new_string: z.string(),
  replace_all: z.boolean().default(false),
});
export type EditRequest = z.input<typeof EditRequest>;

export const EditResult = z.object({ path: z.string(), replacements: z.number().int() });
export type EditResult = z.infer<typeof EditResult>;

export const GlobRequest = z.strictObject({
  pattern: z.string().min(1),
  path: z.string().min(1).optional(),
  max_results: z.number().int().min(1).max(100_000).default(1000),
  /** Bytes of paths (a newline after each) at most. */
  max_bytes: z.number().int().min(1).max(10_000_000).default(256 * 1024),
});
export type GlobRequest = z.input<typeof GlobRequest>;

export const GlobResult = z.object({
  /** Sorted, relative to the workspace. */
  paths: z.array(z.string()),
  truncated: z.boolean(),
});
export type GlobResult = z.infer<typeof GlobResult>;

export const GrepRequest = z.strictObject({
  /** A JavaScript regular expression. */
  pattern: z.string().min(1),
  path: z.string().min(1).optional(),
  /** Which files to search, e.g. "*.ts" (any directory) or "src/**\/*.ts". */
  glob: z.string().min(1).optional(),
  case_insensitive: z.boolean().default(false),
  max_matches: z.number().int().min(1).max(10_000).default(200),
  /** Bytes of matches, each counted as `file:line: text` and a newline, at most. */
  max_bytes: z.number().int().min(1).max(10_000_000).default(256 * 1024),
});
export type GrepRequest = z.input<typeof GrepRequest>;

export const GrepMatch = z.object({ file: z.string(), line: z.number().int(), text: z.string() });
export type GrepMatch = z.infer<typeof GrepMatch>;

export const GrepResult = z.object({ matches: z.array(GrepMatch), truncated: z.boolean() });
export type GrepResult = z.infer<typeof GrepResult>;

export const FetchRequest = z.strictObject({
  url: z.string().min(1),
  max_bytes: z.number().int().min(1).max(10_000_000).default(100_000),
  timeout_ms: z.number().int().min(1).max(120_000).default(30_000),
});
export type FetchRequest = z.input<typeof FetchRequest>;

export const FetchResult = z.object({
  /** The URL after redirects. */
  url: z.string(),
  status: z.number().int(),
  content_type: z.string().nullable(),
  body: z.string(),
  truncated: z.boolean(),
});
export type FetchResult = z.infer<typeof FetchResult>;

export const RunnerErrorBody = z.object({ error: z.object({ type: z.string(), message: z.string() }) });
export type RunnerErrorBody = z.infer<typeof RunnerErrorBody>;
