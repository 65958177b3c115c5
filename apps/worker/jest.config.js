module.exports = require('../../jest.base.js')(__dirname, {
  // Sandboxes run the built sandbox-runner, and the takeover test runs built worker processes.
  globalSetup: '<rootDir>/test/build-worker.ts',
});
