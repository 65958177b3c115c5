import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, forbidden } from './errors';

const MAX_SYMLINK_HOPS = 40;

/**
 * realpath for paths that may not exist yet (write targets): resolves the longest existing prefix and
 * appends the rest. A dangling symlink on the way is followed to its target, since a write through it
 * would land there.
 */
async function realpathAllowingMissing(target: string, hops = 0): Promise<string> {
  try {
    return await realpath(target);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  const parent = path.dirname(target);
  if (parent === target) return target;
  const stat = await lstat(target).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    if (hops >= MAX_SYMLINK_HOPS) throw forbidden(`too many symbolic links: ${target}`);
    return realpathAllowingMissing(path.resolve(parent, await readlink(target)), hops + 1);
  }
  return path.join(await realpathAllowingMissing(parent, hops), path.basename(target));
}

/** True when `candidate` is `root` or below it (both already real, absolute paths). */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * A tool path (relative to the workspace, or absolute) resolved to its real location; throws a 403
 * when that lies outside the workspace, so neither `..`, an absolute path nor a symlink can escape.
 * `workspaceRoot` must itself be a realpath. A component swapped for a symlink between this check and
 * the file operation is not caught; under bubblewrap nothing outside the workspace is writable anyway.
 */
export async function resolveInWorkspace(workspaceRoot: string, requested: string): Promise<string> {
  const real = await realpathAllowingMissing(path.resolve(workspaceRoot, requested));
  if (!isInside(workspaceRoot, real)) throw forbidden(`path outside the workspace: ${requested}`);
  return real;
}

/** How a workspace path is shown to the model: relative to the workspace root, "." for the root. */
export function displayPath(workspaceRoot: string, real: string): string {
  return path.relative(workspaceRoot, real) || '.';
}
