/**
 * Arguments checked before any call: each error names the argument and quotes what was given.
 */
import { isIP } from 'node:net';
import { SwivelError } from '../../errors.js';

function fail(message: string): never {
  throw new SwivelError('config_invalid', message);
}

/** The document's alphabet for proxy account names and passwords: digits and letters only. */
const ALNUM = /^[A-Za-z0-9]+$/;

export function parseUser(value: string, name = 'USER'): string {
  if (!ALNUM.test(value)) fail(`Expected ${name} to be letters and digits only, got \`${value}\``);
  return value;
}

/** `USER:PASS`; the password is never echoed back. */
export function parseUserPass(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  const username = colon === -1 ? value : value.slice(0, colon);
  const password = colon === -1 ? '' : value.slice(colon + 1);
  if (colon === -1 || !ALNUM.test(username) || !ALNUM.test(password)) {
    fail(`Expected USER:PASS with letters and digits only on both sides, got \`${username}:…\``);
  }
  return { username, password };
}

export function parsePassword(value: string, name = '--password'): string {
  if (!ALNUM.test(value) || value.length < 6 || value.length > 16) fail(`Expected \`${name}\` to be 6 to 16 letters and digits`);
  return value;
}

export function parseIp(value: string, name = 'IP'): string {
  if (isIP(value) === 0) fail(`Expected ${name} to be an IP address, got \`${value}\``);
  return value;
}

export const MAX_LIMIT_GB = 102_400;

export function parseGb(value: unknown, name: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_LIMIT_GB)
    fail(`Expected \`${name}\` to be a whole number of GB from 0 to ${MAX_LIMIT_GB}, got \`${String(value)}\``);
  return n;
}

export function parseInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`Expected \`${name}\` to be an integer from ${min} to ${max}, got \`${String(value)}\``);
  return n;
}

export function optionalInt(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return value === undefined ? undefined : parseInteger(value, name, min, max);
}

/** `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, returned in the document's `Y-m-d H:i:s`. */
export function parseDateTime(value: string, name: string, endOfDay = false): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$/.exec(value.trim());
  if (m === null) fail(`Expected \`${name}\` to be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got \`${value}\``);
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  if (
    date.getMonth() !== Number(mo) - 1 ||
    date.getDate() !== Number(d) ||
    Number(h ?? 0) > 23 ||
    Number(mi ?? 0) > 59 ||
    Number(s ?? 0) > 59
  ) {
    fail(`Expected \`${name}\` to be a real date, got \`${value}\``);
  }
  const time = h === undefined ? (endOfDay ? '23:59:59' : '00:00:00') : `${h}:${mi}:${s}`;
  return `${y}-${mo}-${d} ${time}`;
}

/** `Y-m-d H:i:s` of a local Date. */
export function formatYmdHis(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** A word from `words` (index = code) or the code itself. */
export function parseCode(value: unknown, name: string, words: readonly string[]): number {
  const v = String(value).toLowerCase();
  const index = words.indexOf(v);
  if (index > 0 || (index === 0 && v !== '')) return index;
  if (/^\d+$/.test(v) && Number(v) < words.length) return Number(v);
  fail(`Expected \`${name}\` to be one of ${words.filter((w) => w !== '').join(', ')} or its number, got \`${String(value)}\``);
}

export function parseOnOff(value: unknown, name: string): number {
  const v = String(value).toLowerCase();
  if (v === 'on' || v === '1') return 1;
  if (v === 'off' || v === '0') return 0;
  fail(`Expected \`${name}\` to be on or off, got \`${String(value)}\``);
}

export function parseCountry(value: unknown, name = '--cc'): string {
  const v = String(value);
  if (!/^[A-Za-z]{2}$/.test(v)) fail(`Expected \`${name}\` to be a two-letter country code such as US, got \`${v}\``);
  return v.toUpperCase();
}

export function list(values: unknown): string[] {
  if (values === undefined) return [];
  const items = Array.isArray(values) ? values : [values];
  return items
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
