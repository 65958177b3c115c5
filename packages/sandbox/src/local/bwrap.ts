import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Networking } from '@stratus/contracts';

/** The first executable called `name` on a PATH-style list, or undefined. */
export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface BwrapSandbox {
  /** The session's workspace: the one writable directory that persists. */
  workspaceDir: string;
  /** Holds the runner's Unix socket; writable so the runner can create it, visible to the worker. */
  runDir: string;
  networking: Networking;
  /**
   * Host directories replaced by an empty tmpfs: /tmp (private per sandbox), the directory of all
   * sessions (no peeking at other workspaces) and the worker's home (credentials, caches).
   */
  hiddenDirs: readonly string[];
  /** Host paths the runner must still read although they lie in a hidden directory (node, the runner's code). */
  readOnlyPaths: readonly string[];
}

function inside(dir: string, candidate: string): boolean {
  return candidate === dir || candidate.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/**
 * bubblewrap arguments (before `--`) for one sandbox: new user, PID, IPC, UTS, cgroup and (unless the
 * networking allows traffic) network namespaces; no capabilities even when the worker is root; the
 * host's root filesystem read-only, fresh /dev and /proc, and only the workspace and run directories
 * writable. With `--die-with-parent` the whole sandbox goes when the process that started bwrap dies.
 */
export function bwrapArgs(sandbox: BwrapSandbox): string[] {
  // Outermost first: a tmpfs over /tmp would otherwise cover one mounted at /tmp/sandboxes.
  const hidden = [...new Set(sandbox.hiddenDirs)]
    .filter((dir) => dir !== '/')
    .sort((a, b) => a.length - b.length)
    .filter((dir, i, all) => !all.slice(0, i).some((outer) => inside(outer, dir)));
  const reexposed = [...new Set(sandbox.readOnlyPaths)].filter((p) => hidden.some((dir) => inside(dir, p)));

  return [
    '--unshare-all',
    ...(sandbox.networking.type === 'none' ? [] : ['--share-net']),
    '--die-with-parent',
    '--cap-drop', 'ALL',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    ...hidden.flatMap((dir) => ['--tmpfs', dir]),
    ...reexposed.flatMap((p) => ['--ro-bind', p, p]),
    '--bind', sandbox.workspaceDir, sandbox.workspaceDir,
    '--bind', sandbox.runDir, sandbox.runDir,
    '--chdir', sandbox.workspaceDir,
  ];
}
