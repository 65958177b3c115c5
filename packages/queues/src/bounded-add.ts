import type { JobsOptions, Queue } from 'bullmq';

/**
 * How long an enqueue may wait for Redis. BullMQ waits for its connection to become ready without
 * a limit, so while Redis is down an enqueue would hang the request that made it; past this it
 * fails like a dropped connection (ETIMEDOUT), which callers treat as Redis being unavailable.
 */
export const ENQUEUE_TIMEOUT_MS = 5_000;

/** `queue.add`, failing with ETIMEDOUT instead of waiting for Redis forever. */
export async function boundedAdd<T>(queue: Queue<T>, name: string, data: T, options?: JobsOptions, timeoutMs = ENQUEUE_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`Redis did not take the ${name} job within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    // BullMQ's typings route the job name through its generic; the name is any string here.
    await Promise.race([queue.add(name as never, data as never, options), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
