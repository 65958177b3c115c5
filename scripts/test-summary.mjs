// Totals of the last `pnpm test` from jest's own JSON reports (--json --outputFile), one line per
// package on stderr and "N passed, N failed" on stdout. A package whose suite could not run counts
// as a failure, and so does a non-zero exit of the test run that left no failure in any report.
// Usage: node scripts/test-summary.mjs <exit code of the test run>
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const runExitCode = Number(process.argv[2] ?? 0);
let passed = 0;
let failed = 0;
for (const group of ['apps', 'packages', 'deploy']) {
  for (const name of existsSync(group) ? readdirSync(group).sort() : []) {
    const file = join(group, name, 'jest-report.json');
    if (!existsSync(file)) {
      // A suite that should have run and left no report (its global setup failed, jest crashed).
      const manifest = join(group, name, 'package.json');
      if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) {
        failed += 1;
        process.stderr.write(`  ${group}/${name}: no report (its suite did not run), counted as 1 failed\n`);
      }
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const p = report.numPassedTests;
    const f = report.numFailedTests + report.numRuntimeErrorTestSuites;
    passed += p;
    failed += f;
    process.stderr.write(`  ${group}/${name}: ${p} passed, ${f} failed\n`);
  }
}
if (runExitCode !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
