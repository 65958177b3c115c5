import { lstat, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import type { GlobRequest, GlobResult, GrepMatch, GrepRequest, GrepResult } from '@stratus/sandbox-protocol';
import type { z } from 'zod';
import { badRequest, forbidden, notFound } from '../errors';
import { displayPath, resolveInWorkspace } from '../workspace-path';

/**
 * Directories left out of glob and grep unless the pattern names them: dependency trees, git's store,
 * and the shell's HOME (package-manager caches), which would drown the answers.
 */
export const SKIPPED_DIRS: readonly string[] = ['node_modules', '.git', '.home'];

/** Grep skips files larger than this and files that look binary. */
const MAX_GREP_FILE_BYTES = 5 * 1024 * 1024;
const BINARY_SNIFF_BYTES = 8000;
/** Long lines (minified code) are cut in the answer, not in the match. */
const MAX_MATCH_TEXT_CHARS = 500;

/** Glob patterns are relative to their base directory; `..` or a leading `/` would walk out of it. */
function checkPattern(pattern: string): void {
  if (pattern.startsWith('/') || pattern.split('/').includes('..')) {
    throw forbidden(`path outside the workspace: glob pattern ${pattern} must stay below its base directory`);
  }
}

function ignoredFor(pattern: string): string[] {
  const segments = new Set(pattern.split('/'));
  return SKIPPED_DIRS.filter((dir) => !segments.has(dir)).map((dir) => `**/${dir}/**`);
}

/** Glob and grep over the workspace (a realpath). */
export class SearchTools {
  constructor(private readonly workspaceRoot: string) {}

  /** Files matching `pattern` below `path`, sorted, relative to the workspace. */
  async glob(request: z.output<typeof GlobRequest>, signal: AbortSignal): Promise<GlobResult> {
    checkPattern(request.pattern);
    const base = await this.directory(request.path);
    const found = await this.files(base, request.pattern, signal);
    const paths: string[] = [];
    let bytes = 0;
    for (const file of found.slice(0, request.max_results)) {
      const shown = displayPath(this.workspaceRoot, file);
      bytes += Buffer.byteLength(shown) + 1;
      if (bytes > request.max_bytes) return { paths, truncated: true };
      paths.push(shown);
    }
    return { paths, truncated: found.length > request.max_results };
  }

  /** Lines matching a JavaScript regular expression, file by file in path order. */
  async grep(request: z.output<typeof GrepRequest>, signal: AbortSignal): Promise<GrepResult> {
    let regex: RegExp;
    try {
      regex = new RegExp(request.pattern, request.case_insensitive ? 'i' : '');
    } catch (error) {
      throw badRequest(`invalid regular expression: ${(error as Error).message}`);
    }
    const target = await resolveInWorkspace(this.workspaceRoot, request.path ?? '.');
    const targetStat = await stat(target).catch(() => {
      throw notFound(`no such file or directory: ${request.path ?? '.'}`);
    });
    let files: string[];
    if (targetStat.isDirectory()) {
      const fileGlob = request.glob ?? '**/*';
      checkPattern(fileGlob);
      // Like ripgrep's --glob: a bare "*.ts" matches in every directory.
      files = await this.files(target, fileGlob.includes('/') ? fileGlob : `**/${fileGlob}`, signal);
    } else {
      files = [target];
    }

    const matches: GrepMatch[] = [];
    let bytes = 0;
    for (const file of files) {
      signal.throwIfAborted();
      const text = await this.searchableText(file);
      if (text === undefined) continue;
      const lines = text.split(/\r?\n/);
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] ?? '';
        if (!regex.test(line)) continue;
        if (matches.length === request.max_matches) return { matches, truncated: true };
        const match = { file: displayPath(this.workspaceRoot, file), line: i + 1, text: line.slice(0, MAX_MATCH_TEXT_CHARS) };
        bytes += Buffer.byteLength(`${match.file}:${match.line}: ${match.text}\n`);
        if (bytes > request.max_bytes) return { matches, truncated: true };
        matches.push(match);
      }
    }
    return { matches, truncated: false };
  }

  private async directory(requested: string | undefined): Promise<string> {
    const dir = await resolveInWorkspace(this.workspaceRoot, requested ?? '.');
    const info = await stat(dir).catch(() => undefined);
    if (!info) throw notFound(`no such directory: ${requested ?? '.'}`);
    if (!info.isDirectory()) throw badRequest(`not a directory: ${requested ?? '.'}`);
    return dir;
  }

  /** Absolute paths of the files below `base` matching `pattern`, sorted; symlinks are not followed. */
  private async files(base: string, pattern: string, signal: AbortSignal): Promise<string[]> {
    const found = await glob(pattern, {
      cwd: base,
      absolute: true,
      dot: true,
      followSymbolicLinks: false,
      ignore: ignoredFor(pattern),
      signal,
    });
    return found.map((file) => path.normalize(file)).sort();
  }

  /** The file's text, or undefined for what grep skips: symlinks (they may point outside), big and binary files. */
  private async searchableText(file: string): Promise<string | undefined> {
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_GREP_FILE_BYTES) return undefined;
    const bytes = await readFile(file).catch(() => undefined);
    if (!bytes || bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return undefined;
    return bytes.toString('utf8');
  }
}
