import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The sandbox runner's built entry point in this repository (built by the root
 * global setup jest/build-runner.js). Packages never depend on the runner app, so tests hand this path to
 * the provider or the worker as a deployment's STRATUS_SANDBOX_RUNNER_ENTRY does.
 */
export const SANDBOX_RUNNER_ENTRY = path.resolve(__dirname, '../../../apps/sandbox-runner/dist/main.js');

/**
 * Deletes a local sandbox base directory a test made, unmounting first the workspace volumes below
 * it (a worker the test SIGKILLed never unmounted its sandboxes'; `rm` alone would fail on them with
 * EBUSY and leave their loop devices behind). Lazy unmounts: a runner still exiting holds nothing up.
 */
export async function removeSandboxBase(dir: string): Promise<void> {
  const mountInfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const below = mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of below) {
    await run('umount', ['--lazy', mountPoint]).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
}
