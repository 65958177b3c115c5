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

/**
 * The @stratus/sandbox-runner this package depends on. Its dist/ must be built (`pnpm build`, or the
 * package's test global setup).
 */
export function resolveRunnerInstall(): RunnerInstall {
  const manifestPath = require.resolve('@stratus/sandbox-runner/package.json');
  const packageDir = realpathSync(path.dirname(manifestPath));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { main: string; dependencies?: Record<string, string> };
  const entry = path.join(packageDir, manifest.main);
  if (!existsSync(entry)) {
    throw new Error(`the sandbox runner is not built: ${entry} is missing (run pnpm --filter @stratus/sandbox-runner build)`);
  }
  const dependencyRoots = Object.keys(manifest.dependencies ?? {})
    .map((name) => dependencyDir(name, packageDir))
    .filter((dir) => dir !== undefined)
    .map(nodeModulesRoot);
  return { entry, codePaths: [...new Set([packageDir, ...dependencyRoots])] };
}
