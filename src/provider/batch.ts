/**
 * The endpoints of one extraction in columns (issue 12). A 100 000-entry answer as 100 000
 * ParsedEndpoint objects costs more in allocation and young-generation copying than the rest of
 * the extraction path together; the common entry, a canonical `d.d.d.d:port` without credentials,
 * is kept here as a u32 address and a u16 port instead, in list order. Anything else (a host
 * name, IPv6, credentials) is kept as its ParsedEndpoint in `other` at the same index.
 *
 * `at(i)` / `toArray()` give the ParsedEndpoint view for readers that want objects (the CLI, the
 * cluster feed, tests): `{ host, port }` exactly as the entry parser would have returned it.
 */
import { ipv4Number } from '../protocol/ip.js';
import type { ParsedEndpoint } from './types.js';

const MIN_CAPACITY = 64;

export class EndpointBatch {
  length = 0;
  /** IPv4 address (ipv4Number) of entry i, when `other` holds nothing for i. */
  addr: Uint32Array;
  port: Uint16Array;
  /** Entries that are not a plain IPv4 address without credentials; created on the first one. */
  other: Array<ParsedEndpoint | undefined> | undefined;

  /** `capacity`: the entries expected, when the caller can bound them (one allocation, no regrowth). */
  constructor(capacity = MIN_CAPACITY) {
    const n = Math.max(MIN_CAPACITY, Math.ceil(capacity));
    this.addr = new Uint32Array(n);
    this.port = new Uint16Array(n);
  }

  /** Append a plain IPv4 entry by its key (address × 65536 + port, as ipv4PortKey returns it). */
  pushKey(key: number): void {
    const address = Math.floor(key / 65536);
    this.pushV4(address, key - address * 65536);
  }

  pushV4(address: number, port: number): void {
    const i = this.length;
    if (i === this.addr.length) this.grow();
    this.addr[i] = address;
    this.port[i] = port;
    this.length = i + 1;
    if (this.other !== undefined) this.other.push(undefined);
  }

  /**
   * Append the canonical `d.d.d.d:port` at `s[start…]` when a `"` follows it (a JSON string entry,
   * read without finding its end first): returns the index of that quote, or -1 with nothing
   * appended. Takes exactly what ipv4PortKey takes up to the first quote.
   */
  pushQuotedV4(s: string, start: number): number {
    const end = s.length;
    let i = start;
    let value = 0;
    for (let part = 0; part < 4; part++) {
      const o = readOctet(s, i, end);
      if (o < 0) return -1;
      i += o & 7;
      value = value * 256 + (o >> 3);
      if (s.charCodeAt(i) !== (part === 3 ? 58 /* : */ : 46) /* . */) return -1;
      i++;
    }
    const first = i;
    if (s.charCodeAt(i) === 48 /* 0 */) return -1;
    let port = 0;
    for (; i - first <= 5; i++) {
      const d = s.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      port = port * 10 + d;
    }
    if (i === first || i - first > 5 || port > 65535 || s.charCodeAt(i) !== 34 /* " */) return -1;
    this.pushV4(value, port);
    return i;
  }

  /** Append a parsed endpoint: into the columns when it is a plain IPv4 one. */
  push(e: ParsedEndpoint): void {
    if (e.username === undefined && e.password === undefined) {
      const v4 = ipv4Number(e.host);
      if (v4 >= 0) {
        this.pushV4(v4, e.port);
        return;
      }
    }
    const i = this.length;
    if (i === this.addr.length) this.grow();
    this.addr[i] = 0;
    this.port[i] = e.port;
    if (this.other === undefined) this.other = new Array<ParsedEndpoint | undefined>(i).fill(undefined);
    this.other.push(e);
    this.length = i + 1;
  }

  /** The object entry at i, or undefined when i is in the columns. */
  objectAt(i: number): ParsedEndpoint | undefined {
    return this.other === undefined ? undefined : this.other[i];
  }

  /** Entry i as a ParsedEndpoint (a new object for a column entry). */
  at(i: number): ParsedEndpoint {
    return this.objectAt(i) ?? { host: ipv4Text(this.addr[i]!), port: this.port[i]! };
  }

  toArray(): ParsedEndpoint[] {
    const out = new Array<ParsedEndpoint>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }

  /** Move entry `from` to index `to` (≤ from): the in-place filter compacts with it. */
  move(from: number, to: number): void {
    this.addr[to] = this.addr[from]!;
    this.port[to] = this.port[from]!;
    if (this.other !== undefined) this.other[to] = this.other[from];
  }

  truncate(length: number): void {
    this.length = length;
    if (this.other !== undefined) this.other.length = length;
  }

  private grow(): void {
    const addr = new Uint32Array(this.addr.length * 2);
    addr.set(this.addr);
    this.addr = addr;
    const port = new Uint16Array(this.port.length * 2);
    port.set(this.port);
    this.port = port;
  }
}

/** The dotted quad of an ipv4Number value; the inverse of ipv4Number for canonical text. */
export function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * `s[start, end)` read as exactly `d.d.d.d:port` in canonical form (no leading zeros, port 1..65535):
 * the address × 65536 + port, else -1. The parser's fast road for the common entry; anything else
 * (credentials, names, padding, odd spellings) goes to the full entry parser.
 */
export function ipv4PortKey(s: string, start: number, end: number): number {
  let i = start;
  let value = 0;
  // Octet by octet, each a separator check, not a branch per character on '.' and ':'.
  for (let part = 0; part < 4; part++) {
    const o = readOctet(s, i, end);
    if (o < 0) return -1;
    i += o & 7;
    value = value * 256 + (o >> 3);
    if (i >= end || s.charCodeAt(i) !== (part === 3 ? 58 /* : */ : 46) /* . */) return -1;
    i++;
  }
  const digits = end - i;
  if (digits < 1 || digits > 5 || s.charCodeAt(i) === 48 /* 0 */) return -1;
  let port = 0;
  for (; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    port = port * 10 + d;
  }
  return port > 65535 ? -1 : value * 65536 + port;
}

/** One canonical decimal octet at `i`: value × 8 + its digit count, or -1. */
function readOctet(s: string, i: number, end: number): number {
  if (i >= end) return -1;
  let c = s.charCodeAt(i) - 48;
  if (c < 0 || c > 9) return -1;
  const v = c;
  if (++i >= end) return v * 8 + 1;
  c = s.charCodeAt(i) - 48;
  if (c < 0 || c > 9) return v * 8 + 1;
  if (v === 0) return -1;
  const v2 = v * 10 + c;
  if (++i >= end) return v2 * 8 + 2;
  c = s.charCodeAt(i) - 48;
  if (c < 0 || c > 9) return v2 * 8 + 2;
  const v3 = v2 * 10 + c;
  return v3 > 255 ? -1 : v3 * 8 + 3;
}
