import { describe, expect, it } from 'vitest';
import { backoff } from '../../../client/backoff';

const MIN = 500;
const MAX = 20_000;

describe('backoff (exponential, full jitter above a floor)', () => {
  it.each([
    [0, MIN, 2 * MIN],
    [1, MIN, 3 * MIN],
    [3, MIN, 9 * MIN],
    [5, MIN, 33 * MIN],
    [6, MIN, MAX],
    [100, MIN, MAX],
  ])('attempt %i waits between %i and %i ms', (attempt, low, high) => {
    expect(backoff(attempt, MIN, MAX, () => 0)).toBe(low);
    expect(backoff(attempt, MIN, MAX, () => 0.999_999_9)).toBe(high);
  });

  it('never leaves [min, max], whatever the attempt and the random number', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.1, 0.5, 0.9, 0.999_999]) {
        const delay = backoff(attempt, MIN, MAX, () => r);
        expect(delay).toBeGreaterThanOrEqual(MIN);
        expect(delay).toBeLessThanOrEqual(MAX);
      }
    }
  });

  it('spreads over the whole window (full jitter), not around one value', () => {
    const delays = Array.from({ length: 2000 }, () => backoff(8, MIN, MAX, Math.random));
    // 10 buckets of 1.95 s between 0.5 s and 20 s: every one is hit.
    const buckets = new Set(delays.map((d) => Math.min(9, Math.floor((d - MIN) / 1950))));
    expect(buckets.size).toBe(10);
    expect(new Set(delays).size).toBeGreaterThan(1000);
  });

  it('grows exponentially: the window of attempt n+1 is twice that of attempt n until the cap', () => {
    const top = (n: number) => backoff(n, MIN, MAX, () => 0.999_999_9) - MIN;
    expect([0, 1, 2, 3, 4].map(top)).toEqual([500, 1000, 2000, 4000, 8000]);
  });
});
