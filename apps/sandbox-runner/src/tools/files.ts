import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EditRequest, EditResult, ReadRequest, ReadResult, WriteRequest, WriteResult } from '@stratus/sandbox-protocol';
import type { z } from 'zod';
import { badRequest, errnoCode, notFound, ToolError } from '../errors';
import { displayPath, resolveInWorkspace } from '../workspace-path';
import { readPage } from './line-pager';

/** Edit loads the whole file; larger ones are refused (Read pages through files of any size). */
const MAX_EDIT_FILE_BYTES = 64 * 1024 * 1024;
/** Bytes sniffed for a NUL to call a file binary (git's heuristic). */
const BINARY_SNIFF_BYTES = 8000;

/** Turns the filesystem errors a model can cause into 4xx answers it can act on. */
function fsError(error: unknown, shownPath: string): unknown {
  switch (errnoCode(error) ?? '') {
    case 'ENOENT':
      return notFound(`no such file: ${shownPath}`);
    case 'EISDIR':
      return badRequest(`is a directory: ${shownPath}`);
    case 'ENOTDIR':
      return badRequest(`a parent of ${shownPath} is not a directory`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ToolError(403, 'permission_error', `permission denied: ${shownPath}`);
    default:
      return error;
  }
}

async function readText(file: string, shownPath: string): Promise<string> {
  const info = await stat(file).catch((error: unknown) => {
    throw fsError(error, shownPath);
  });
  if (info.isDirectory()) throw badRequest(`is a directory: ${shownPath}`);
  if (info.size > MAX_EDIT_FILE_BYTES) {
    throw badRequest(`${shownPath} is ${info.size} bytes, more than ${MAX_EDIT_FILE_BYTES}; change it with exec (sed, a script)`);
  }
  const bytes = await readFile(file).catch((error: unknown) => {
    throw fsError(error, shownPath);
  });
  if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) throw badRequest(`${shownPath} is a binary file`);
  return bytes.toString('utf8');
}

/** File tools confined to one workspace directory (a realpath). */
export class FileTools {
  constructor(private readonly workspaceRoot: string) {}

  /**
   * Lines [offset, offset + limit) of a text file, no more than max_bytes of them, and how many lines
   * it has in all. The file is streamed, so a huge one costs one page.
   */
  async read(request: z.output<typeof ReadRequest>): Promise<ReadResult> {
    const file = await resolveInWorkspace(this.workspaceRoot, request.path);
    const shown = displayPath(this.workspaceRoot, file);
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw fsError(error, shown);
    });
    try {
      if ((await handle.stat()).isDirectory()) throw badRequest(`is a directory: ${shown}`);
      const page = await readPage(handle, { offset: request.offset, limit: request.limit, maxBytes: request.max_bytes }, BINARY_SNIFF_BYTES).catch(
        (error: unknown) => {
          throw fsError(error, shown);
        },
      );
      if (page.binary) throw badRequest(`${shown} is a binary file`);
      return {
        path: shown,
        content: page.lines.join('\n'),
        start_line: request.offset,
        num_lines: page.lines.length,
        total_lines: page.totalLines,
        cut_lines: page.cutLines,
      };
    } finally {
      await handle.close();
    }
  }

  /** Creates or replaces a file, creating its parent directories. */
  async write(request: z.output<typeof WriteRequest>): Promise<WriteResult> {
    const file = await resolveInWorkspace(this.workspaceRoot, request.path);
    const shown = displayPath(this.workspaceRoot, file);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, request.content);
    } catch (error) {
      throw fsError(error, shown);
    }
    return { path: shown, bytes_written: Buffer.byteLength(request.content) };
  }

  /** Exact string replacement; old_string must occur exactly once unless replace_all. */
  async edit(request: z.output<typeof EditRequest>): Promise<EditResult> {
    if (request.old_string === request.new_string) throw badRequest('old_string and new_string are the same');
    const file = await resolveInWorkspace(this.workspaceRoot, request.path);
    const shown = displayPath(this.workspaceRoot, file);
    const content = await readText(file, shown);
    const parts = content.split(request.old_string);
    const occurrences = parts.length - 1;
    if (occurrences === 0) throw badRequest(`old_string was not found in ${shown}`);
    if (occurrences > 1 && !request.replace_all) {
      throw badRequest(
        `old_string occurs ${occurrences} times in ${shown}; give more surrounding context to make it unique, or set replace_all`,
      );
    }
    // split/join rather than String.replace, whose replacement string gives `$&` and friends a meaning.
    try {
      await writeFile(file, parts.join(request.new_string));
    } catch (error) {
      throw fsError(error, shown);
    }
    return { path: shown, replacements: occurrences };
  }
}
