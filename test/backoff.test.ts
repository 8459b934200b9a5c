import { describe, it, expect } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay } from '../src/refresh/backoff.js';

const opts = { baseMs: 1_000, maxMs: 60_000 };

describe('backoffDelay', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000],
    [50, 60_000],
    [10_000, 60_000],
  ])('after %i failures lies between half and all of %i ms', (failures, exp) => {
    expect(backoffDelay(failures, opts, () => 0)).toBe(exp / 2);
    expect(backoffDelay(failures, opts, () => 0.5)).toBe((exp * 3) / 4);
    expect(backoffDelay(failures, opts, () => 0.999_999)).toBe(exp);
  });

  it('treats 0 or negative failures like the first', () => {
    expect(backoffDelay(0, opts, () => 0)).toBe(500);
    expect(backoffDelay(-3, opts, () => 0.999_999)).toBe(1_000);
  });

  it('stays within [exp/2, exp] for any random value in [0, 1)', () => {
    for (let failures = 1; failures <= 10; failures++) {
      const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** (failures - 1));
      for (let r = 0; r < 1; r += 0.05) {
        const d = backoffDelay(failures, opts, () => r);
        expect(d).toBeGreaterThanOrEqual(exp / 2);
        expect(d).toBeLessThanOrEqual(exp);
      }
    }
  });

  it('never exceeds maxMs, even when base alone does', () => {
    expect(backoffDelay(1, { baseMs: 5_000, maxMs: 2_000 }, () => 0.999_999)).toBe(2_000);
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay(1, { baseMs: 333, maxMs: 10_000 }, () => 0.123))).toBe(true);
  });

  it('has sane defaults', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 1_000, maxMs: 60_000 });
  });
});
