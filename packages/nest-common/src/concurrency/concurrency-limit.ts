/** Gives back a slot taken from a {@link ConcurrencyLimit}; calling it again does nothing. */
export type Release = () => void;

export interface AcquireOptions {
  /** Give up waiting after this long: acquire() then resolves to undefined. No limit when omitted. */
  timeoutMs?: number;
  /** Give up waiting when this aborts: acquire() then rejects with its reason. */
  signal?: AbortSignal;
}

interface Waiter {
  grant(release: Release): void;
}

/**
 * At most `limit` holders at once; the others wait in arrival order. A slot freed by a holder goes
 * straight to the first waiter, so a burst cannot overtake the line.
 */
export class ConcurrencyLimit {
  private holders = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a concurrency limit must be a positive integer, not ${limit}`);
  }

  /** Slots in use. */
  get active(): number {
    return this.holders;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Takes a slot, waiting in line for one; undefined when `timeoutMs` passed first. */
  acquire(options: AcquireOptions = {}): Promise<Release | undefined> {
    options.signal?.throwIfAborted();
    if (this.holders < this.limit) {
      this.holders += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
      };
      const waiter: Waiter = {
        grant: (release) => {
          leave();
          resolve(release);
        },
      };
      const onAbort = () => {
        leave();
        const reason: unknown = options.signal!.reason;
        reject(reason instanceof Error ? reason : new Error(String(reason)));
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          leave();
          resolve(undefined);
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Runs `task` in a slot (waiting for one without limit), freeing it however the task ends. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = (await this.acquire({ signal }))!;
    try {
      return await task();
    } finally {
      release();
    }
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes to the next in line without ever being free: no newcomer can take it between.
      if (next) next.grant(this.releaser());
      else this.holders -= 1;
    };
  }
}
