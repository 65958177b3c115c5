export interface BackoffOptions {
  /** The first delay before reconnecting. */
  initialMs: number;
  /** The delay never grows beyond this. */
  maxMs: number;
}

/** What Qoder's ResumableStream does: 0.5 s doubling up to 10 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

/** A delay around `ms`: half of it fixed, half random, so that clients cut off together do not return together. */
export function jitter(ms: number, random: () => number = Math.random): number {
  return ms / 2 + random() * (ms / 2);
}

/** Jittered exponential backoff: each failure doubles the delay up to the maximum; a reset starts over. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.attempt);
    this.attempt += 1;
    return jitter(base, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}
