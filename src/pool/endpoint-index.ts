/**
 * A sub-pool's endpoints by address → their store slot, so a re-extracted endpoint renews the one
 * already there.
 *
 * IPv4 endpoints, nearly all of them, are keyed by number (address × 65536 + port) in an
 * open-addressing table on a Float64Array with the slots in an Int32Array beside it: an ingest of
 * 100 000 entries then builds no key string, no Map entry and no object, and the garbage
 * collector has nothing to walk. Names and IPv6 addresses are keyed by their id string in a Map.
 */
const MIN_CAPACITY = 16;

export class EndpointIndex {
  /** 0 marks an empty slot: a port is never 0, so no key is. */
  private keys = new Float64Array(MIN_CAPACITY);
  private values = new Int32Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private used = 0;
  private readonly byName = new Map<string, number>();

  get size(): number {
    return this.used + this.byName.size;
  }

  /** The slot under IPv4 key `key` (address × 65536 + port), or -1. */
  getKey(key: number): number {
    const slot = this.find(key);
    return this.keys[slot] === 0 ? -1 : this.values[slot]!;
  }

  /** The slot under id `id` of a name or IPv6 endpoint, or -1. */
  getName(id: string): number {
    return this.byName.get(id) ?? -1;
  }

  /** Index `value` under `key`, replacing whatever was there. */
  setKey(key: number, value: number): void {
    let slot = this.find(key);
    if (this.keys[slot] === 0) {
      if ((this.used + 1) * 2 > this.keys.length) {
        this.grow();
        slot = this.find(key);
      }
      this.keys[slot] = key;
      this.used++;
    }
    this.values[slot] = value;
  }

  /**
   * The slot under IPv4 `address`:`port` if there is one; else indexes `value` there and returns
   * -1. One probe for the ingest's look-up-then-insert.
   */
  claimV4(address: number, port: number, value: number): number {
    const key = address * 65536 + port;
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    let slot = mix(address, port) & mask;
    for (;;) {
      const k = keys[slot]!;
      if (k === key) return this.values[slot]!;
      if (k === 0) break;
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    this.values[slot] = value;
    this.used++;
    return -1;
  }

  setName(id: string, value: number): void {
    this.byName.set(id, value);
  }

  /** Drop `key`, only if it holds `value` (a fresh endpoint may have replaced it). */
  deleteKey(key: number, value: number): void {
    let slot = this.find(key);
    if (this.keys[slot] === 0 || this.values[slot] !== value) return;
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
      this.values[slot] = this.values[next]!;
      slot = next;
    }
    keys[slot] = 0;
    this.values[slot] = -1;
    this.used--;
  }

  deleteName(id: string, value: number): void {
    if (this.byName.get(id) === value) this.byName.delete(id);
  }

  /** Every value `v` becomes `remap[v]` (the store closed its holes; removed ones were deleted first). */
  remap(remap: Int32Array): void {
    const keys = this.keys;
    const values = this.values;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) values[i] = remap[values[i]!]!;
    for (const [id, v] of this.byName) this.byName.set(id, remap[v]!);
  }

  clear(): void {
    this.keys = new Float64Array(MIN_CAPACITY);
    this.values = new Int32Array(MIN_CAPACITY);
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
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === 0) continue;
      const slot = this.find(k);
      this.keys[slot] = k;
      this.values[slot] = oldValues[i]!;
    }
  }
}

/** Mixes address and port (a key is address × 65536 + port, below 2^48) into 32 well-spread bits. */
function hash(key: number): number {
  // Floor and multiply, not `%`, which on a double is a call into fmod.
  const address = Math.floor(key / 65536);
  return mix(address, key - address * 65536);
}

function mix(address: number, port: number): number {
  let h = Math.imul(address | 0, 0x9e3779b1) ^ Math.imul(port, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}
