/**
 * Secret-free descriptions of malformed entries, for `ParseResult.firstMalformed` (which ends up in
 * a warning log line). An entry that failed to parse may still carry credentials, so we show the
 * part that locates the problem (host, port) and mask whatever could be a user name or password.
 * Only called for the first malformed entry of an extraction: not hot.
 */

export const MAX_DESCRIPTION_LENGTH = 64;

/**
 * `http://user:pw@h:1`  → `http://***@h:1`
 * `h:99999:user:pw`     → `h:99999:***`
 * `user:pw:h:80`        → `user:***`   (the second field is shown only when it looks like a port)
 */
export function describeEntry(entry: string): string {
  const s = entry.trim();
  if (s.length === 0) return '(empty entry)';
  // `host port user pass` lists exist: nothing after the first inner blank is shown.
  const blank = firstBlank(s);
  const token = blank === -1 ? s : s.slice(0, blank);
  const tail = blank === -1 ? '' : ' ***';
  let prefix = '';
  let rest = token;
  const scheme = token.indexOf('://');
  if (scheme !== -1) {
    prefix = token.slice(0, scheme + 3);
    rest = token.slice(scheme + 3);
  }
  const at = rest.lastIndexOf('@');
  if (at !== -1) return truncate(`${prefix}***@${rest.slice(at + 1)}${tail}`);

  const close = rest.charCodeAt(0) === 91 /* [ */ ? rest.indexOf(']') : -1;
  const hostEnd = rest.indexOf(':', close === -1 ? 0 : close);
  if (hostEnd === -1) return truncate(prefix + rest + tail);
  const host = rest.slice(0, hostEnd);
  const portEnd = rest.indexOf(':', hostEnd + 1);
  const second = portEnd === -1 ? rest.slice(hostEnd + 1) : rest.slice(hostEnd + 1, portEnd);
  if (!isDigits(second)) return truncate(`${prefix}${host}:***`);
  if (portEnd === -1) return truncate(`${prefix}${host}:${second}${tail}`);
  return truncate(`${prefix}${host}:${second}:***`);
}

function firstBlank(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) <= 32) return i;
  }
  return -1;
}

/** A JSON value that is neither a string nor an object: its kind, never its content. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'nested list';
  return typeof value;
}

export function truncate(text: string, max = MAX_DESCRIPTION_LENGTH): string {
  if (text.length <= max) return text;
  // Do not cut a surrogate pair in half.
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

export function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
