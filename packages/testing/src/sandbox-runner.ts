import path from 'node:path';

/**
 * The sandbox runner's built entry point in this repository (built by the root
 * global setup jest/build-runner.js). Packages never depend on the runner app, so tests hand this path to
 * the provider or the worker as a deployment's STRATUS_SANDBOX_RUNNER_ENTRY does.
 */
export const SANDBOX_RUNNER_ENTRY = path.resolve(__dirname, '../../../apps/sandbox-runner/dist/main.js');
