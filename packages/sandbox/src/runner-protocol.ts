/**
 * The sandbox runner's wire format (apps/sandbox-runner validates the requests with zod). Packages
 * cannot import apps, so the client keeps these types; the tests run every call against the real
 * runner, which is what keeps the two in step.
 */

export interface ExecRequest {
  command: string;
  /** Default 120 000, at most 600 000. */
  timeout_ms?: number;
  /** Cap on stdout + stderr together; default 100 000. */
  max_output_bytes?: number;
}
export interface ExecResult {
  /** 128 + signal number when the command was killed. */
  exit_code: number;
  stdout: string;
  stderr: string;
  timed_out: boolean;
  truncated: boolean;
  duration_ms: number;
}

export interface ReadRequest {
  path: string;
  /** 1-based first line; default 1. */
  offset?: number;
  /** Lines to return; default 2000. */
  limit?: number;
}
export interface ReadResult {
  path: string;
  content: string;
  start_line: number;
  num_lines: number;
  total_lines: number;
}

export interface WriteRequest {
  path: string;
  content: string;
}
export interface WriteResult {
  path: string;
  bytes_written: number;
}

export interface EditRequest {
  path: string;
  old_string: string;
  new_string: string;
  replace_all?: boolean;
}
export interface EditResult {
  path: string;
  replacements: number;
}

export interface GlobRequest {
  pattern: string;
  path?: string;
  max_results?: number;
}
export interface GlobResult {
  /** Sorted, relative to the workspace. */
  paths: string[];
  truncated: boolean;
}

export interface GrepRequest {
  /** A JavaScript regular expression. */
  pattern: string;
  path?: string;
  glob?: string;
  case_insensitive?: boolean;
  max_matches?: number;
}
export interface GrepResult {
  matches: { file: string; line: number; text: string }[];
  truncated: boolean;
}

export interface FetchRequest {
  url: string;
  max_bytes?: number;
  timeout_ms?: number;
}
export interface FetchResult {
  /** The URL after redirects. */
  url: string;
  status: number;
  content_type: string | null;
  body: string;
  truncated: boolean;
}

export interface RunnerErrorBody {
  error: { type: string; message: string };
}
