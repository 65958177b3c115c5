#!/usr/bin/env bash
# Every package's test suite, one after another, then one total line ("N passed, N failed") from
# jest's own reports. The exit code is non-zero when anything failed.
cd "$(dirname "$0")/.."
rm -f apps/*/jest-report.json packages/*/jest-report.json deploy/*/jest-report.json
pnpm exec turbo run test --concurrency=1 --continue
exec node scripts/test-summary.mjs $?
