module.exports = require('../../jest.base.js')(__dirname, {
  // The worker's end-to-end tests run sandboxes on the built sandbox-runner and real worker processes.
  globalSetup: '<rootDir>/test/worker/build-worker.ts',
});
