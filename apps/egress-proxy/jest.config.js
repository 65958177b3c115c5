module.exports = require('../../jest.base.js')(__dirname, {
  // The end-to-end test runs sandboxes through the Kubernetes test server: it needs the built runner.
  globalSetup: '<rootDir>/../../packages/testing/jest/build-runner.js',
});
