import { describe, it, expect } from 'vitest';
import { formatDuration, parseDuration } from '../src/config/duration.js';

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

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [30_000, '30s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [600_000, '10m'],
    [3_600_000, '1h'],
    [7_200_000, '2h'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([500, 1_000, 1_500, 30_000, 300_000, 3_600_000])('single-unit output %i ms parses back to the same value', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
