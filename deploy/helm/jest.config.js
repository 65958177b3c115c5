module.exports = require('../../jest.base.js')(__dirname, {
  // Renders with a real helm: fetched once into a cache directory (see scripts/fetch-helm.mjs).
  globalSetup: '<rootDir>/test/fetch-helm.ts',
});
