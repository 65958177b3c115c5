/**
 * Where a cold start's time goes, step by step: each `mark(step)` charges the time since the
 * previous mark to `step`. The figures travel on the handle (`startupSteps`) to the benchmark's
 * report rather than to the logs.
 */
export class StartSteps {
  private last = performance.now();
  private readonly spent: Record<string, number> = {};

  mark(step: string): void {
    const now = performance.now();
    this.spent[step] = (this.spent[step] ?? 0) + (now - this.last);
    this.last = now;
  }

  get steps(): Readonly<Record<string, number>> {
    return { ...this.spent };
  }
}
