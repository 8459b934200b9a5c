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
import { ipv4Number, ipv4Text } from '../protocol/ip.js';
import type { ParsedEndpoint } from './types.js';

const MIN_CAPACITY = 64;

export class EndpointBatch {
  length = 0;
  /** IPv4 address (ipv4Number) of entry i, when `other` holds nothing for i. */
  addr = new Uint32Array(MIN_CAPACITY);
  port = new Uint16Array(MIN_CAPACITY);
  /** Entries that are not a plain IPv4 address without credentials; created on the first one. */
  other: Array<ParsedEndpoint | undefined> | undefined;

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
