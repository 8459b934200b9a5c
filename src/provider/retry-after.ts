/**
 * RFC 9110 §10.2.3 Retry-After: either delay-seconds or an HTTP-date. Providers send it on 429
 * (rate limited) and 503 (maintenance); the refresher waits at least that long before the next
 * call. Capped so a hostile or broken value cannot park extraction for days.
 */

/** Longest wait a Retry-After may impose. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Milliseconds to wait from `nowMs`, or undefined when absent or unparsable. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^[0-9]+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
