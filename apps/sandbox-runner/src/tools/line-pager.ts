import type { FileHandle } from 'node:fs/promises';

/** Longer lines are cut in a page (minified code, data on one line), as Claude Code's Read does. */
export const MAX_LINE_CHARS = 2000;
/** Enough bytes of a line for MAX_LINE_CHARS characters of any UTF-8 text. */
const MAX_LINE_BYTES = MAX_LINE_CHARS * 4;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface PageRequest {
  /** 1-based first line. */
  offset: number;
  /** Most lines in the page. */
  limit: number;
  /** Most bytes of the page's lines joined with newlines; the first line is always given. */
  maxBytes: number;
}

export interface Page {
  lines: string[];
  /** Lines of the page cut at MAX_LINE_CHARS. */
  cutLines: number;
  /** Lines in the whole file: a final newline ends the last line rather than starting an empty one. */
  totalLines: number;
  /** Whether a NUL byte turned up in the file's first `sniffBytes`. */
  binary: boolean;
}

/**
 * Reads one page of a text file's lines in a single pass of fixed-size chunks, holding no more than
 * the page: a file of any size (one line of 64 MiB included) costs the page, not the file. Lines end at
 * `\n`, with a `\r` before it dropped. Lines after the page are counted, not kept.
 */
export async function readPage(handle: FileHandle, request: PageRequest, sniffBytes: number): Promise<Page> {
  const lastWanted = request.offset + request.limit - 1;
  const lines: string[] = [];
  let pageBytes = 0;
  let pageFull = false;
  let cutLines = 0;
  let lineNumber = 1;
  let current: Buffer[] = [];
  let currentBytes = 0;
  let currentTooLong = false;
  let pendingLine = false;
  let seen = 0;

  const wanted = () => !pageFull && lineNumber >= request.offset && lineNumber <= lastWanted;
  const keep = (bytes: Buffer) => {
    const room = MAX_LINE_BYTES - currentBytes;
    if (bytes.length > room) currentTooLong = true;
    const kept = bytes.subarray(0, room);
    if (kept.length === 0) return;
    current.push(Buffer.from(kept));
    currentBytes += kept.length;
  };
  const endLine = () => {
    if (wanted()) {
      let bytes = Buffer.concat(current);
      if (!currentTooLong && bytes.at(-1) === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1);
      let text = bytes.toString('utf8');
      const cut = currentTooLong || text.length > MAX_LINE_CHARS;
      if (cut) {
        text = text.slice(0, MAX_LINE_CHARS);
        // Half a surrogate pair would decode as U+FFFD: leave it out.
        if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
      }
      const cost = Buffer.byteLength(text) + (lines.length > 0 ? 1 : 0);
      if (lines.length > 0 && pageBytes + cost > request.maxBytes) {
        pageFull = true;
      } else {
        lines.push(text);
        pageBytes += cost;
        if (cut) cutLines++;
      }
    }
    current = [];
    currentBytes = 0;
    currentTooLong = false;
    lineNumber++;
  };

  for await (const chunk of handle.createReadStream({ highWaterMark: 64 * 1024, autoClose: false }) as AsyncIterable<Buffer>) {
    if (seen < sniffBytes && chunk.subarray(0, sniffBytes - seen).includes(0)) {
      return { lines: [], cutLines: 0, totalLines: 0, binary: true };
    }
    seen += chunk.length;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (end > start && wanted()) keep(chunk.subarray(start, end));
      if (newline === -1) {
        pendingLine ||= end > start;
        break;
      }
      endLine();
      pendingLine = false;
      start = newline + 1;
    }
  }
  if (pendingLine) endLine();
  return { lines, cutLines, totalLines: lineNumber - 1, binary: false };
}
