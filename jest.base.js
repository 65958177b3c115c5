// Shared jest settings: TypeScript through swc (with decorator metadata for NestJS) and
// workspace packages resolved to their sources through the "@stratus/source" export condition,
// so tests never need a prior build.

// Names this jest run before its workers start (they inherit the environment), so every Redis key
// prefix and database its tests make carries the run's id, and the teardown removes exactly what
// this run left, never another run's.
process.env.STRATUS_TEST_RUN ??= require('node:crypto').randomBytes(4).toString('hex');
// The servers tests start run side by side: none serves /metrics on the default port unless a test asks.
process.env.STRATUS_METRICS_PORT ??= '0';

/** @param {string} dir the package directory (pass __dirname) */
module.exports = function jestConfig(dir, overrides = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    testEnvironmentOptions: { customExportConditions: ['@stratus/source', 'node', 'require', 'default'] },
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    transform: {
      '^.+\\.ts$': [
        require.resolve('@swc/jest', { paths: [dir] }),
        {
          jsc: {
            target: 'es2023',
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          },
          module: { type: 'commonjs' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleFileExtensions: ['ts', 'js', 'json'],
    // Sources written for Node's resolution (the generated Prisma client) import './x.js' meaning x.ts.
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testTimeout: 90_000,
    // A test that fails half-way may leave a handle open (a child it never got to stop); the run must
    // still end, with that failure reported, rather than wait for CI's time limit.
    forceExit: true,
    // Removes the Redis keys and databases this run's tests left behind.
    globalTeardown: require('node:path').join(__dirname, 'packages/testing/jest/global-teardown.js'),
    ...overrides,
  };
};
