/**
 * When a failed delivery is tried next: the schedule's delay for this attempt (the last delay repeats),
 * with ±20% jitter so that a receiver coming back up is not hit by every retry at once. Undefined once
 * that time would fall past the retry window: the delivery has failed for good.
 */
export function nextAttemptAt(options: { schedule: readonly number[]; windowMs: number; createdAt: Date; attemptsMade: number; now: Date; random?: () => number }): Date | undefined {
  const { schedule, windowMs, createdAt, attemptsMade, now, random = Math.random } = options;
  const base = schedule[Math.min(attemptsMade - 1, schedule.length - 1)] ?? 0;
  const delay = Math.round(base * (0.8 + 0.4 * random()));
  const next = new Date(now.getTime() + delay);
  return next.getTime() - createdAt.getTime() > windowMs ? undefined : next;
}
