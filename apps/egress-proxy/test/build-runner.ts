import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Jest global setup: compiles @stratus/sandbox-runner so the tests start the same dist/main.js that a
 * worker starts. tsc rather than Node's type stripping of src/main.ts: the runner stays a plain
 * CommonJS package like the others and the tests exercise the artefact that ships. The runner
 * depends on nothing internal, so its own tsc is the whole build (a few seconds).
 */
export default function buildRunner(): void {
  const runnerDir = path.dirname(require.resolve('@stratus/sandbox-runner/package.json'));
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(runnerDir, 'tsconfig.build.json')], { stdio: 'inherit' });
}
