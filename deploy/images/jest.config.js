module.exports = require('../../jest.base.js')(__dirname, {
  // The tests check and run build outputs: build the six apps first (turbo, cached).
  globalSetup: '<rootDir>/test/build-apps.ts',
});
