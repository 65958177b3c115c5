import type { ExecResult, FetchResult, GlobResult, GrepResult, ReadResult } from '@stratus/sandbox';

/** What a tool call gave back: the text the model reads, and whether it failed. */
export interface ToolOutcome {
  text: string;
  isError: boolean;
}

/** A command's output as the model reads it: stdout, then stderr, then what went wrong. */
export function execOutcome(result: ExecResult): ToolOutcome {
  const parts: string[] = [];
  if (result.stdout !== '') parts.push(result.stdout.replace(/\n$/, ''));
  if (result.stderr !== '') parts.push(`[stderr]\n${result.stderr.replace(/\n$/, '')}`);
  if (result.timed_out) parts.push(`[timed out after ${result.duration_ms} ms; the command was killed]`);
  else if (result.exit_code !== 0) parts.push(`[exit code ${result.exit_code}]`);
  if (result.truncated) parts.push('[output truncated]');
  return { text: parts.length > 0 ? parts.join('\n') : '(no output)', isError: result.exit_code !== 0 || result.timed_out };
}

/** File lines numbered like `cat -n`, with a note when there are more. */
export function readOutcome(result: ReadResult): ToolOutcome {
  const lines = result.content.split('\n').slice(0, result.num_lines);
  const numbered = lines.map((line, i) => `${String(result.start_line + i).padStart(6)}\t${line}`).join('\n');
  const last = result.start_line + result.num_lines - 1;
  const more = last < result.total_lines ? `\n[lines ${result.start_line}-${last} of ${result.total_lines}; read on with offset ${last + 1}]` : '';
  return { text: (result.num_lines === 0 ? '(empty file)' : numbered) + more, isError: false };
}

export function globOutcome(result: GlobResult): ToolOutcome {
  const text = result.paths.length > 0 ? result.paths.join('\n') : '(no files matched)';
  return { text: result.truncated ? `${text}\n[more files matched; narrow the pattern]` : text, isError: false };
}

export function grepOutcome(result: GrepResult): ToolOutcome {
  const text = result.matches.length > 0 ? result.matches.map((m) => `${m.file}:${m.line}: ${m.text}`).join('\n') : '(no matches)';
  return { text: result.truncated ? `${text}\n[more matches; narrow the search]` : text, isError: false };
}

export function fetchOutcome(result: FetchResult): ToolOutcome {
  const head = `HTTP ${result.status}${result.content_type ? ` (${result.content_type})` : ''} from ${result.url}`;
  return { text: `${head}\n\n${result.body}${result.truncated ? '\n[body truncated]' : ''}`, isError: result.status >= 400 };
}
