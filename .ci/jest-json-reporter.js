// Writes each package's totals to .reports/jest.json so that .ci/run can add them up.
const fs = require('node:fs');
const path = require('node:path');

class JsonTotalsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }
  onRunComplete(_contexts, results) {
    const dir = path.join(this.rootDir, '.reports');
    fs.mkdirSync(dir, { recursive: true });
    const totals = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites,
    };
    fs.writeFileSync(path.join(dir, 'jest.json'), JSON.stringify(totals));
  }
}
module.exports = JsonTotalsReporter;
