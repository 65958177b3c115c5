// Jest global setup for suites that start the sandbox runner (packages/sandbox, apps/egress-proxy):
// compiles the runner and the packages it loads (@stratus/sandbox-protocol, @stratus/contracts), so
// the tests start the same dist/main.js a worker starts. tsc rather than Node's type stripping of src/main.ts: the
// tests exercise the artefact that ships (a few seconds). Plain JS because a global setup is loaded
// before jest's "@stratus/source" resolution applies.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');

module.exports = function buildRunner() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [path.join(ROOT, 'apps/sandbox-runner')] });
  for (const dir of ['packages/sandbox-protocol', 'packages/contracts', 'apps/sandbox-runner']) {
    execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, dir, 'tsconfig.build.json')], { stdio: 'inherit' });
  }
};
