module.exports = require('../../jest.base.js')(__dirname, {
  // The scrape test runs the built all-in-one: build it (and the sandbox runner) first.
  globalSetup: '<rootDir>/test/build-apps.ts',
  testTimeout: 120_000,
});
