/**
 * Durations on the command line read like `500ms`, `30s`, `5m`, `1h`. This parser also takes a bare
 * number as milliseconds; config/load.ts refuses bare non-zero numbers from users, whose `10` means
 * seconds as often as not. Parsed once at the edge; everything inside works in ms (`...Ms` names).
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Returns milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  let i = 0;
  while (i < s.length && ((s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) || s[i] === '.')) i++;
  if (i === 0) return undefined;
  const value = Number(s.slice(0, i));
  const unit = s.slice(i).trim().toLowerCase() || 'ms';
  const scale = UNIT_MS[unit];
  if (scale === undefined || !Number.isFinite(value)) return undefined;
  return Math.round(value * scale);
}
