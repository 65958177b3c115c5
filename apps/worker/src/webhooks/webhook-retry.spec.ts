import { nextAttemptAt } from './webhook-retry';

const schedule = [5_000, 30_000, 120_000];
const createdAt = new Date('2026-12-06T00:00:00Z');
const at = (ms: number) => new Date(createdAt.getTime() + ms);

describe('nextAttemptAt', () => {
  it('follows the schedule, the last delay repeating', () => {
    const next = (attemptsMade: number, now: Date) => nextAttemptAt({ schedule, windowMs: 24 * 3_600_000, createdAt, attemptsMade, now, random: () => 0.5 });
    expect(next(1, at(0))).toEqual(at(5_000));
    expect(next(2, at(5_000))).toEqual(at(35_000));
    expect(next(3, at(35_000))).toEqual(at(155_000));
    expect(next(9, at(1_000_000))).toEqual(at(1_120_000));
  });

  it('jitters each delay by at most 20%', () => {
    expect(nextAttemptAt({ schedule, windowMs: 3_600_000, createdAt, attemptsMade: 2, now: at(0), random: () => 0 })).toEqual(at(24_000));
    expect(nextAttemptAt({ schedule, windowMs: 3_600_000, createdAt, attemptsMade: 2, now: at(0), random: () => 1 })).toEqual(at(36_000));
  });

  it('gives up once the next attempt would fall past the window', () => {
    expect(nextAttemptAt({ schedule, windowMs: 60_000, createdAt, attemptsMade: 2, now: at(20_000), random: () => 0.5 })).toEqual(at(50_000));
    expect(nextAttemptAt({ schedule, windowMs: 60_000, createdAt, attemptsMade: 2, now: at(40_000), random: () => 0.5 })).toBeUndefined();
  });
});
