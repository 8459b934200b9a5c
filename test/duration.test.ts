import { describe, it, expect } from 'vitest';
import { parseDuration } from '../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['250', 250],
    ['1.5s', 1_500],
    ['0.5m', 30_000],
    [' 2s ', 2_000],
    ['5 m', 300_000],
    ['10S', 10_000],
    ['3MS', 3],
    ['0', 0],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '   ', 'abc', 's', '-5s', '5x', '5 minutes', '1.2.3s', '5d', 'ms5'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
