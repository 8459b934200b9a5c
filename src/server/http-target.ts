/**
 * Where a client asked to go: the host and port of an absolute-form (`GET http://host:port/…`)
 * or authority-form (`CONNECT host:port`) request-target, RFC 9112 §3.2. Hosts come out bare
 * (`::1`, not `[::1]`) and canonical as the WHATWG URL parser makes them (`http://0x7f.1/` is
 * 127.0.0.1), so the target policy sees what will be dialled.
 */
import { SwivelError } from '../errors.js';

export interface Target {
  host: string;
  port: number;
}

/** `[::1]` → `::1`: URL keeps brackets on IPv6 hostnames, sockets want them bare. */
function bareHost(hostname: string): string {
  return hostname.charCodeAt(0) === 91 ? hostname.slice(1, -1) : hostname;
}

function unparsable(raw: string): SwivelError {
  return new SwivelError('bad_request', `target "${raw}" could not be parsed`);
}

const HTTP_PREFIX = 'http://';

/**
 * The common spelling read without a URL object (about 1 µs per request): `http://` in lower case,
 * then a host of lower-case letters, digits, `-` and `.` whose last label starts with a letter
 * (so no IPv4 spelling for WHATWG to canonicalise) or a dotted quad already canonical, then an
 * optional port of digits, then `/`, `?`, `#` or the end. Anything else (upper case, IPv6,
 * userinfo, percent-encoding, punycode, a trailing dot, odd ports) returns undefined and goes
 * through `new URL`, which then decides; test/plain2-target.test.ts checks both agree.
 */
function fastPlainTarget(raw: string): Target | undefined {
  if (!raw.startsWith(HTTP_PREFIX)) return undefined;
  const start = HTTP_PREFIX.length;
  const n = raw.length;
  let i = start;
  let labelStart = start;
  let labels = 1;
  let digitsOnly = true;
  for (; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c === 46 /* . */) {
      // Empty labels and punycode are URL's to judge.
      if (i === labelStart || (i - labelStart >= 4 && raw.startsWith('xn--', labelStart))) return undefined;
      if (digitsOnly && !isQuadPart(raw, labelStart, i)) digitsOnly = false;
      labelStart = i + 1;
      labels++;
    } else if (c >= 48 && c <= 57) {
      // digit: keeps digitsOnly as it is
    } else if ((c >= 97 && c <= 122) || c === 45 /* - */) {
      digitsOnly = false;
    } else {
      break;
    }
  }
  if (i === labelStart || (i - labelStart >= 4 && raw.startsWith('xn--', labelStart))) return undefined;
  const last = raw.charCodeAt(labelStart);
  if (digitsOnly) {
    // Only a canonical dotted quad passes; other numeric spellings are canonicalised by URL.
    if (labels !== 4 || !isQuadPart(raw, labelStart, i)) return undefined;
  } else if (!(last >= 97 && last <= 122)) {
    // A last label starting with a digit may be a number (`0x7f`, `1e`…): URL decides.
    return undefined;
  }
  const host = raw.slice(start, i);
  let port = 80;
  if (i < n && raw.charCodeAt(i) === 58 /* : */) {
    const portStart = ++i;
    let value = 0;
    for (; i < n; i++) {
      const c = raw.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
    }
    const digits = i - portStart;
    if (digits === 0 || digits > 5 || value > 65535) return undefined;
    port = value;
  }
  if (i < n) {
    const c = raw.charCodeAt(i);
    if (c !== 47 /* / */ && c !== 63 /* ? */ && c !== 35 /* # */) return undefined;
  }
  return { host, port };
}

/** `raw[from..to)` is 0..255 in decimal without a leading zero. */
function isQuadPart(raw: string, from: number, to: number): boolean {
  const len = to - from;
  if (len < 1 || len > 3 || (len > 1 && raw.charCodeAt(from) === 48)) return false;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    value = value * 10 + (c - 48);
  }
  return value <= 255;
}

export function parsePlainTarget(raw: string): Target {
  const fast = fastPlainTarget(raw);
  if (fast !== undefined) return fast;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw unparsable(raw);
  }
  // Anything but http:// must come through CONNECT (https://) or is not ours to forward.
  if (url.protocol !== 'http:') throw new SwivelError('bad_request', `only http:// is forwarded (was ${url.protocol})`);
  return { host: bareHost(url.hostname), port: url.port === '' ? 80 : Number(url.port) };
}

/**
 * `host:port` whose host is plain ASCII letters, digits, `.`, `-`, `_`: what nearly every CONNECT
 * sends. URL keeps such a host as is (`connect:` is not a special scheme: its host is opaque, not
 * lowercased or read as IPv4), so the answer is the same without building one; anything else
 * (brackets, `%`, `@`, non-ASCII, a bad port) goes through URL.
 */
function fastConnectTarget(raw: string): Target | undefined {
  const colon = raw.lastIndexOf(':');
  if (colon <= 0 || colon === raw.length - 1) return undefined;
  for (let i = 0; i < colon; i++) {
    const c = raw.charCodeAt(i);
    // a-z A-Z 0-9 . - _
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 95)) return undefined;
  }
  let port = 0;
  for (let i = colon + 1; i < raw.length; i++) {
    const c = raw.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return undefined;
    port = port * 10 + c;
    if (port > 65535) return undefined;
  }
  return { host: raw.slice(0, colon), port };
}

export function parseConnectTarget(raw: string): Target {
  const fast = fastConnectTarget(raw);
  if (fast !== undefined) return fast;
  let url: URL;
  try {
    // A scheme of our own makes URL read `host:port` as an authority without a special scheme's
    // rewriting; the port must be there (RFC 9110 §9.3.6).
    url = new URL(`connect://${raw}`);
  } catch {
    throw unparsable(raw);
  }
  if (url.hostname === '' || url.port === '') throw unparsable(raw);
  return { host: bareHost(url.hostname), port: Number(url.port) };
}
