import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every 15 ms until it returns something other than `undefined` or `false`, and
 * resolves with that; rejects naming `what` after `timeoutMs`, a bound for a loaded machine rather
 * than a measure. A check that returns a boolean resolves with `true`.
 */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what = 'a condition to hold'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(15);
  }
}
