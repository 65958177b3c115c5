import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** What dist/main.js of the worker needs built, in waves whose members depend only on earlier waves. */
const WAVES = [
  ['packages/contracts', 'packages/sandbox-protocol'],
  ['packages/db', 'packages/models', 'packages/queues', 'apps/sandbox-runner'],
  ['packages/events', 'packages/sandbox', 'packages/net-guard'],
  ['packages/nest-common'],
  ['apps/worker'],
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** A package whose dist is older than its sources (or missing). */
function stale(dir: string): boolean {
  try {
    return newestMtime(path.join(dir, 'dist')) < newestMtime(path.join(dir, 'src'));
  } catch {
    return true;
  }
}

/**
 * Jest global setup: compiles the worker and what it loads at run time, so the tests start the same
 * dist/main.js a deployment runs (the takeover test SIGKILLs real worker processes) and sandboxes run
 * the built runner. Packages whose dist is newer than their sources are skipped.
 */
export default async function buildWorker(): Promise<void> {
  const tsc = require.resolve('typescript/bin/tsc');
  for (const wave of WAVES) {
    await Promise.all(
      wave
        .map((dir) => path.join(ROOT, dir))
        .filter(stale)
        .map((dir) => run(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.build.json')], { cwd: dir })),
    );
  }
}
