/**
 * A sub-pool's endpoints by address, so a re-extracted endpoint renews the one already there.
 *
 * IPv4 endpoints, nearly all of them, are keyed by number (address × 65536 + port) in an
 * open-addressing table on a Float64Array: an ingest of 100 000 entries then builds no key string
 * and no Map entry, and the table itself is one typed array the garbage collector does not walk.
 * Names and IPv6 addresses are keyed by their id string in a Map, as before.
 */
import { ipv4Number } from '../protocol/ip.js';
import { endpointId, type Endpoint } from './endpoint.js';

const MIN_CAPACITY = 16;

export class EndpointIndex {
  /** 0 marks an empty slot: a port is never 0, so no key is. */
  private keys = new Float64Array(MIN_CAPACITY);
  private values = new Array<Endpoint | undefined>(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private used = 0;
  private readonly byName = new Map<string, Endpoint>();

  get size(): number {
    return this.used + this.byName.size;
  }

  /** The endpoint at `host:port`, if indexed. */
  get(host: string, port: number): Endpoint | undefined {
    const v4 = numericHost(host, port);
    if (v4 < 0) return this.byName.get(endpointId(host, port));
    return this.values[this.find(v4 * 65536 + port)];
  }

  /** By id (`host:port`, `[v6]:port`), as a shared session store names endpoints. */
  getById(id: string): Endpoint | undefined {
    const colon = id.lastIndexOf(':');
    if (colon > 0 && id.charCodeAt(0) !== 91 /* [ */) {
      const v4 = ipv4Number(id, 0, colon);
      const port = Number(id.slice(colon + 1));
      if (v4 >= 0 && isPort(port)) {
        const e = this.values[this.find(v4 * 65536 + port)];
        return e !== undefined && e.id === id ? e : undefined;
      }
    }
    return this.byName.get(id);
  }

  /** Index `e` under its address, replacing whatever was there. */
  set(e: Endpoint): void {
    const v4 = numericHost(e.host, e.port);
    if (v4 < 0) {
      this.byName.set(e.id, e);
      return;
    }
    const key = v4 * 65536 + e.port;
    let slot = this.find(key);
    if (this.keys[slot] === 0) {
      if ((this.used + 1) * 2 > this.keys.length) {
        this.grow();
        slot = this.find(key);
      }
      this.keys[slot] = key;
      this.used++;
    }
    this.values[slot] = e;
  }

  /** Drop `e`, only if it is the one indexed under its address (a fresh one may have replaced it). */
  delete(e: Endpoint): void {
    const v4 = numericHost(e.host, e.port);
    if (v4 < 0) {
      if (this.byName.get(e.id) === e) this.byName.delete(e.id);
      return;
    }
    let slot = this.find(v4 * 65536 + e.port);
    if (this.values[slot] !== e) return;
    // Linear probing deletes by shifting back the entries of the run after the hole that would
    // no longer be reachable from their home slot (no tombstones to sweep later).
    const keys = this.keys;
    const mask = this.mask;
    let next = slot;
    for (;;) {
      next = (next + 1) & mask;
      const k = keys[next]!;
      if (k === 0) break;
      const home = hash(k) & mask;
      // Move `next` into the hole unless its home lies cyclically in (slot, next].
      if (slot <= next ? slot < home && home <= next : slot < home || home <= next) continue;
      keys[slot] = k;
      this.values[slot] = this.values[next];
      slot = next;
    }
    keys[slot] = 0;
    this.values[slot] = undefined;
    this.used--;
  }

  clear(): void {
    this.keys = new Float64Array(MIN_CAPACITY);
    this.values = new Array<Endpoint | undefined>(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.used = 0;
    this.byName.clear();
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private find(key: number): number {
    const keys = this.keys;
    const mask = this.mask;
    let slot = hash(key) & mask;
    for (;;) {
      const k = keys[slot]!;
      if (k === key || k === 0) return slot;
      slot = (slot + 1) & mask;
    }
  }

  /** Make room for `more` IPv4 entries at once (an ingest knows its batch size: one rehash, not log n). */
  reserve(more: number): void {
    let capacity = this.keys.length;
    while ((this.used + more) * 2 > capacity) capacity *= 2;
    if (capacity !== this.keys.length) this.rehash(capacity);
  }

  private grow(): void {
    this.rehash(this.keys.length * 2);
  }

  private rehash(capacity: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(capacity);
    this.values = new Array<Endpoint | undefined>(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === 0) continue;
      const slot = this.find(k);
      this.keys[slot] = k;
      this.values[slot] = oldValues[i];
    }
  }
}

/** The IPv4 value when `host:port` can take a numeric key (a port of 0 would make the empty key), else -1. */
function numericHost(host: string, port: number): number {
  return isPort(port) ? ipv4Number(host) : -1;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Mixes address and port (a key is address × 65536 + port, below 2^48) into 32 well-spread bits. */
function hash(key: number): number {
  // Floor and multiply, not `%`, which on a double is a call into fmod.
  const address = Math.floor(key / 65536);
  const port = key - address * 65536;
  let h = Math.imul(address | 0, 0x9e3779b1) ^ Math.imul(port, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}
