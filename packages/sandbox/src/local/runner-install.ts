import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Where the sandbox runner is installed: what to run, and what a sandbox must be able to read. */
export interface RunnerInstall {
  /** The built entry point, dist/main.js. */
  entry: string;
  /** Real paths the runner loads code from: its package and the node_modules trees of its dependencies. */
  codePaths: string[];
}

/** The directory Node would load dependency `name` from, searching up from `fromDir`. */
function dependencyDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(candidate)) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The outermost node_modules above a dependency's real path. With pnpm every package (and what it
 * depends on) lives under <root>/node_modules/.pnpm, with npm under <root>/node_modules, so this one
 * directory covers the dependency's own dependencies too.
 */
function nodeModulesRoot(realDir: string): string {
  const at = realDir.indexOf(`${path.sep}node_modules${path.sep}`);
  return at === -1 ? realDir : realDir.slice(0, at + `${path.sep}node_modules`.length);
}

/** The directory of the package.json nearest above `file`, the package that ships it. */
function packageDirOf(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The sandbox runner built at `entry` (its dist/main.js), with the code a sandbox must be able to read
 * to run it. Apps are not dependencies of this package, so the runner's location comes from the
 * caller's configuration (the worker's STRATUS_SANDBOX_RUNNER_ENTRY).
 */
export function resolveRunnerInstall(entry: string): RunnerInstall {
  if (!existsSync(entry)) {
    throw new Error(`the sandbox runner is not built: ${entry} is missing (run pnpm --filter @stratus/sandbox-runner build, or set STRATUS_SANDBOX_RUNNER_ENTRY)`);
  }
  const realEntry = realpathSync(entry);
  const packageDir = packageDirOf(realEntry);
  // A lone script (a test's stand-in runner) needs only its own directory.
  if (packageDir === undefined) return { entry: realEntry, codePaths: [path.dirname(realEntry)] };
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const dependencyRoots = Object.keys(manifest.dependencies ?? {})
    .map((name) => dependencyDir(name, packageDir))
    .filter((dir) => dir !== undefined)
    .map(nodeModulesRoot);
  return { entry: realEntry, codePaths: [...new Set([packageDir, ...dependencyRoots])] };
}
