import type { ExecResult, FetchResult, GlobResult, GrepResult, ReadResult } from '@stratus/sandbox';

/** What a tool call gave back: the text the model reads, and whether it failed. */
export interface ToolOutcome {
  text: string;
  isError: boolean;
}

/**
 * What the notes of a result may take beyond the content the runner was asked for (Bash's exit code
 * and stderr label, a Read page's next offset, a search's "more matched"), so the runner is asked for
 * the cap minus this and the whole result still fits.
 */
export const NOTE_ROOM_BYTES = 1024;

/** UTF-8 continuation bytes are 10xxxxxx; a cut before one would split a character. */
const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/**
 * `text` in at most `maxBytes` bytes of UTF-8: whole when it fits, else its beginning and its end
 * (where a command's output says how it ended) around a line that says what was cut.
 */
export function capText(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const note = (first: number, last: number) => `\n[output truncated: ${bytes.length} bytes, showing the first ${first} and last ${last}]\n`;
  // The note is sized with the largest numbers it can hold, so the final one is never longer.
  const room = Math.max(0, maxBytes - Buffer.byteLength(note(maxBytes, maxBytes)));
  let headEnd = Math.floor(room / 2);
  while (headEnd > 0 && isContinuation(bytes[headEnd])) headEnd--;
  let tailStart = bytes.length - (room - Math.floor(room / 2));
  while (tailStart < bytes.length && isContinuation(bytes[tailStart])) tailStart++;
  const head = bytes.subarray(0, headEnd);
  const tail = bytes.subarray(tailStart);
  return `${head.toString('utf8')}${note(head.length, tail.length)}${tail.toString('utf8')}`;
}

/**
 * A command's output as the model reads it: stdout, then stderr, then what went wrong. A stream the
 * runner cut already carries its `[output truncated: …]` line where the middle was left out.
 */
export function execOutcome(result: ExecResult): ToolOutcome {
  const parts: string[] = [];
  if (result.stdout !== '') parts.push(result.stdout.replace(/\n$/, ''));
  if (result.stderr !== '') parts.push(`[stderr]\n${result.stderr.replace(/\n$/, '')}`);
  if (result.timed_out) parts.push(`[timed out after ${result.duration_ms} ms; the command was killed]`);
  else if (result.exit_code !== 0) parts.push(`[exit code ${result.exit_code}]`);
  return { text: parts.length > 0 ? parts.join('\n') : '(no output)', isError: result.exit_code !== 0 || result.timed_out };
}

/**
 * File lines numbered like `cat -n`, as many as fit in `maxBytes` with the notes, and when there are
 * more, a note with the offset the next page starts at.
 */
export function readOutcome(result: ReadResult, maxBytes: number): ToolOutcome {
  if (result.num_lines === 0) {
    const text = result.total_lines === 0 ? '(empty file)' : `[the file has ${result.total_lines} lines; offset ${result.start_line} is past its end]`;
    return { text, isError: false };
  }
  const budget = maxBytes - NOTE_ROOM_BYTES;
  const numbered: string[] = [];
  let size = 0;
  for (const [i, line] of result.content.split('\n').slice(0, result.num_lines).entries()) {
    const text = `${String(result.start_line + i).padStart(6)}\t${line}`;
    size += Buffer.byteLength(text) + 1;
    if (numbered.length > 0 && size > budget) break;
    numbered.push(text);
  }
  const last = result.start_line + numbered.length - 1;
  const notes: string[] = [];
  if (result.cut_lines > 0) notes.push(`[${result.cut_lines} line${result.cut_lines === 1 ? ' was' : 's were'} longer than 2000 characters and cut; use Bash to see ${result.cut_lines === 1 ? 'it' : 'them'} whole]`);
  if (last < result.total_lines) notes.push(`[lines ${result.start_line}-${last} of ${result.total_lines}; read on with offset ${last + 1}]`);
  return { text: [...numbered, ...notes].join('\n'), isError: false };
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
