/**
 * The sandbox runner's wire format (apps/sandbox-runner validates the requests with zod). Packages
 * cannot import apps, so the client keeps these types; the tests run every call against the real
 * runner, which is what keeps the two in step.
 */

export interface ExecRequest {
  command: string;
  /** Default 120 000, at most 600 000. */
  timeout_ms?: number;
  /** Cap on stdout + stderr together (a cut stream also carries a one-line note); default 100 000. */
  max_output_bytes?: number;
}
export interface ExecResult {
  /** 128 + signal number when the command was killed. */
  exit_code: number;
  /** When cut: its first and last bytes with an `[output truncated: N bytes, …]` line between them. */
  stdout: string;
  stderr: string;
  timed_out: boolean;
  truncated: boolean;
  duration_ms: number;
  /** Bytes the command wrote to each stream in all. */
  stdout_bytes: number;
  stderr_bytes: number;
}

export interface ReadRequest {
  path: string;
  /** 1-based first line; default 1. */
  offset?: number;
  /** Lines to return; default 2000. */
  limit?: number;
  /** Bytes of content at most (whole lines, the first always); default 262 144. */
  max_bytes?: number;
}
export interface ReadResult {
  path: string;
  content: string;
  start_line: number;
  num_lines: number;
  total_lines: number;
  /** Lines of this page cut at 2000 characters. */
  cut_lines: number;
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
  /** Bytes of paths (a newline after each) at most; default 262 144. */
  max_bytes?: number;
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
  /** Bytes of matches, each counted as `file:line: text` and a newline, at most; default 262 144. */
  max_bytes?: number;
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
