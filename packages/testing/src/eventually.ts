import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The least time any wait gets. A bound only decides how long a failing test takes to fail, never
 * whether a passing one passes, and on a 2-core machine at load 30 starting a sandbox and a command
 * in it took over 10 s: shorter bounds written in tests are raised to this.
 */
const MIN_BOUND_MS = 30_000;

/**
 * Polls `check` every 15 ms until it returns something other than `undefined` or `false`, and
 * resolves with that; rejects naming `what` after `timeoutMs` (at least MIN_BOUND_MS), a bound for a
 * loaded machine rather than a measure. A check that returns a boolean resolves with `true`.
 */
export async function eventually<T>(check: () => Promise<T | undefined | false>, requestedMs: number, what = 'a condition to hold'): Promise<T> {
  const timeoutMs = Math.max(requestedMs, MIN_BOUND_MS);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(15);
  }
}
