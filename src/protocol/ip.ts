/**
 * IP address literals, in one place: the strict text forms (RFC 4291 §2.2, RFC 5952) the SOCKS5
 * codec encodes and decodes, the allocation-free range scanners the extraction parser runs per
 * entry, and the non-routable check the ingest filter applies to every endpoint (any spelling the
 * resolver would accept: `127.1`, `0x7f000001`, `::ffff:7f00:1`).
 */
import net from 'node:net';

const COLON = 58;
const DOT = 46;
/** Longest IPv6 text form: 8 groups of 4 plus 7 colons, or an IPv4 tail (45 with `::ffff:`). */
const MAX_V6_LENGTH = 45;

// Address literals are parsed once per request, not per byte, so a regex per part is fine here.
// Leading zeros are refused because inet_aton would read `010` as octal.
const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Strict dotted quad → 4 bytes, or null. */
export function parseIPv4(text: string): Buffer | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => DEC_OCTET.test(p) && Number(p) <= 255)) return null;
  return Buffer.from(parts.map(Number));
}

/** RFC 4291 §2.2 text forms: at most one `::`, optional dotted IPv4 tail. Zone ids are refused. */
export function parseIPv6(text: string): Buffer | null {
  const gap = text.indexOf('::');
  if (gap !== text.lastIndexOf('::')) return null; // two gaps, or ':::'
  const head = groups(gap < 0 ? text : text.slice(0, gap), gap < 0);
  const tail = gap < 0 ? [] : groups(text.slice(gap + 2), true);
  if (head === null || tail === null) return null;
  const count = head.length + tail.length;
  // Without `::` all 8 groups are spelled out; with it, `::` stands for at least one zero group.
  if (gap < 0 ? count !== 8 : count > 7) return null;
  const out = Buffer.alloc(16);
  for (let i = 0; i < head.length; i++) out.writeUInt16BE(head[i]!, i * 2);
  for (let i = 0; i < tail.length; i++) out.writeUInt16BE(tail[i]!, (8 - tail.length + i) * 2);
  return out;
}

function groups(text: string, ipv4Tail: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (ipv4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === null) return null;
      out.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      continue;
    }
    if (!HEX_GROUP.test(part)) return null;
    out.push(parseInt(part, 16));
  }
  return out;
}

/**
 * RFC 5952 canonical text of the 16 bytes at `at`: lower-case hex without leading zeros (§4.1,
 * §4.3); `::` replaces the longest run of two or more zero groups, the first such run on a tie, and
 * never a single zero group (§4.2); IPv4-mapped addresses keep the dotted tail (§5).
 */
export function formatIPv6(buf: Buffer, at = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(at + i * 2));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
  }
  let bestAt = -1;
  let bestLen = 1; // a run must beat 1 to be compressed (§4.2.2)
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    } // strictly longer: first run wins ties (§4.2.3)
    i = j;
  }
  const text = (from: number, to: number): string =>
    g
      .slice(from, to)
      .map((n) => n.toString(16))
      .join(':');
  return bestAt < 0 ? text(0, 8) : `${text(0, bestAt)}::${text(bestAt + bestLen, 8)}`;
}

/** `s[start, end)` is a strict dotted quad (no leading `+`, at most 3 digits per octet, each ≤ 255). */
export function isDottedQuad(s: string, start: number, end: number): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? DOT : s.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else {
      if (++digits > 3) return false;
      value = value * 10 + (c - 48);
    }
  }
  return parts === 4;
}

/** Hex digits, ':' and '.' (IPv4 tail), with at least one ':'. Zone ids are not accepted. */
export function isIpv6Like(s: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 2 || n > MAX_V6_LENGTH) return false;
  let colon = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === COLON) colon = true;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === DOT)) return false;
  }
  return colon;
}

function ipv4Private(a: number, b: number): string | undefined {
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'shared (CGNAT)';
  if (a === 0) return 'unspecified';
  if (a >= 224) return 'multicast/reserved';
  return undefined;
}

/** Characters of the numeric IPv4 spellings `dns.lookup` accepts: `127.1`, `2130706433`, `0x7f000001`. */
const NUMERIC_HOST = /^[0-9a-fx.]+$/i;

/**
 * Canonical text of an IP literal in any spelling the resolver would accept, or the host unchanged.
 * The WHATWG URL parser applies the same inet_aton rules as the resolver, so we let it decide.
 */
function canonicalIp(host: string, family: number): string {
  const v6 = family === 6;
  try {
    const hostname = new URL(`http://${v6 ? `[${host}]` : host}/`).hostname;
    return v6 ? hostname.slice(1, -1) : hostname;
  } catch {
    return host;
  }
}

/** `::ffff:7f00:1` → `127.0.0.1` (IPv4-mapped, RFC 4291 §2.5.5.2, as the URL parser prints it). */
function mappedIpv4(v6: string): string | undefined {
  if (!v6.startsWith('::ffff:')) return undefined;
  const rest = v6.slice(7);
  if (net.isIP(rest) === 4) return rest;
  const colon = rest.indexOf(':');
  if (colon === -1) return undefined;
  const hi = parseInt(rest.slice(0, colon), 16);
  const lo = parseInt(rest.slice(colon + 1), 16);
  if (!Number.isInteger(hi) || !Number.isInteger(lo)) return undefined;
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why `host` is not a public address, or undefined when it is (or is a host name). */
export function nonRoutableReason(host: string): string | undefined {
  let lower = host.toLowerCase();
  let family = net.isIP(lower);
  // Dotted-quad IPv4, the usual answer, is already canonical; other IP spellings are rewritten.
  if (family === 6 || (family === 0 && NUMERIC_HOST.test(lower))) {
    lower = canonicalIp(lower, family);
    family = net.isIP(lower);
  }
  if (lower === 'localhost' || lower.endsWith('.localhost')) return 'loopback';
  if (family === 4) {
    const dot1 = lower.indexOf('.');
    const dot2 = lower.indexOf('.', dot1 + 1);
    return ipv4Private(Number(lower.slice(0, dot1)), Number(lower.slice(dot1 + 1, dot2)));
  }
  if (family === 6) {
    if (lower === '::1') return 'loopback';
    if (lower === '::') return 'unspecified';
    if (lower.startsWith('fe8') || lower.startsWith('fe9') || lower.startsWith('fea') || lower.startsWith('feb')) return 'link-local';
    if (lower.startsWith('fc') || lower.startsWith('fd')) return 'private';
    if (lower.startsWith('ff')) return 'multicast/reserved';
    const v4 = mappedIpv4(lower);
    if (v4 !== undefined) return nonRoutableReason(v4);
  }
  return undefined;
}

/**
 * The value of a canonical dotted quad in `s[start, end)` as an unsigned 32-bit number, or -1 when
 * it is not one: four decimal octets ≤ 255 without leading zeros (`010` is octal to inet_aton, so
 * such spellings are left to nonRoutableReason's canonicalisation). One pass, no allocation: the ingest filter and the
 * pool's numeric endpoint keys read it per entry instead of `net.isIP` and a URL parse.
 */
export function ipv4Number(s: string, start = 0, end = s.length): number {
  let parts = 0;
  let digits = 0;
  let octet = 0;
  let value = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? DOT : s.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || octet > 255 || ++parts > 4) return -1;
      value = value * 256 + octet;
      digits = 0;
      octet = 0;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || ++digits > 3 || (digits === 2 && octet === 0)) return -1;
      octet = octet * 10 + d;
    }
  }
  return parts === 4 ? value : -1;
}

/** Why the IPv4 address `value` (ipv4Number) is not public, or undefined when it is. */
export function ipv4NonRoutableReason(value: number): string | undefined {
  return ipv4Private(Math.floor(value / 16777216), Math.floor(value / 65536) & 255);
}
