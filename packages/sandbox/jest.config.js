module.exports = require('../../jest.base.js')(__dirname, {
  // The local provider starts the runner's built dist/main.js, as it does in production.
  globalSetup: '<rootDir>/../../packages/testing/jest/build-runner.js',
});
