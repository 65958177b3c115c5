import { Backoff, jitter } from './backoff';

describe('Backoff', () => {
  it('doubles from the initial delay up to the maximum, with half of each delay random', () => {
    const low = new Backoff({ initialMs: 500, maxMs: 10_000 }, () => 0);
    expect(Array.from({ length: 7 }, () => low.next())).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    const high = new Backoff({ initialMs: 500, maxMs: 10_000 }, () => 0.999_999);
    expect(Math.round(high.next())).toBe(500);
    expect(Math.round(high.next())).toBe(1000);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('spreads a fixed delay over its upper half', () => {
    expect(jitter(1000, () => 0)).toBe(500);
    expect(jitter(1000, () => 1)).toBe(1000);
  });
});
