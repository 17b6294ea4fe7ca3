import { describe, expect, it } from 'vitest';
import { computeBackoffMs } from '../../src/delivery/backoff.js';

const settings = { baseMs: 1000, maxMs: 30_000 };

describe('computeBackoffMs', () => {
  it('doubles the ceiling with each failed attempt', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5].map((n) => computeBackoffMs(n, settings, top))).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('never exceeds the cap, even for huge attempt counts', () => {
    expect(computeBackoffMs(6, settings, () => 1)).toBe(30_000);
    expect(computeBackoffMs(10_000, settings, () => 1)).toBe(30_000);
  });

  it('spreads the delay over [0, ceiling] with full jitter', () => {
    expect(computeBackoffMs(3, settings, () => 0)).toBe(0);
    expect(computeBackoffMs(3, settings, () => 0.5)).toBe(2000);
    expect(computeBackoffMs(3, settings, () => 0.25)).toBe(1000);
  });

  it('treats attempt 0 or less like the first attempt', () => {
    expect(computeBackoffMs(0, settings, () => 1)).toBe(1000);
    expect(computeBackoffMs(-3, settings, () => 1)).toBe(1000);
  });

  it('stays within bounds with the real random source', () => {
    for (let i = 0; i < 200; i += 1) {
      const delay = computeBackoffMs(4, settings);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(8000);
    }
  });
});
