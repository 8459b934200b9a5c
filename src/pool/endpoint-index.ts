/**
 * A sub-pool's endpoints by address → their store slot, so a re-extracted endpoint renews the one
 * already there.
 *
 * IPv4 endpoints, nearly all of them, are keyed by number (address × 65536 + port) in an
 * open-addressing table holding only slot + 1 (0 marks an empty entry) in one Int32Array; the key
 * of an entry is read from the store's own address and port columns. An ingest of 100 000 entries
 * then builds no key string, no Map entry and no object, and the table is 4 bytes per entry
 * instead of 12 in two arrays: a fresh insert touches one cache line, not two (half the ingest's
 * index cost, bench/README.md "ingest pass"). Names and IPv6 addresses are keyed by their id
 * string in a Map.
 */
const MIN_CAPACITY = 16;

/** Where the table reads an entry's key: the store's columns (read each time: a resize replaces them). */
export interface KeyColumns {
  readonly addr: Uint32Array;
  readonly port: Uint16Array;
}

export class EndpointIndex {
  /** slot + 1 per entry, 0 when empty. */
  private table = new Int32Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private used = 0;
  private readonly byName = new Map<string, number>();

  /** `columns` must hold, at every slot indexed here, that slot's address and port. */
  constructor(private readonly columns: KeyColumns) {}

  get size(): number {
    return this.used + this.byName.size;
  }

  /** The slot under IPv4 key `key` (address × 65536 + port), or -1. */
  getKey(key: number): number {
    const address = Math.floor(key / 65536);
    const at = this.find(address, key - address * 65536);
    return this.table[at]! - 1;
  }

  /** The slot under id `id` of a name or IPv6 endpoint, or -1. */
  getName(id: string): number {
    return this.byName.get(id) ?? -1;
  }

  /** Index `value` under `key`, replacing whatever was there; `value`'s columns must hold the key. */
  setKey(key: number, value: number): void {
    const address = Math.floor(key / 65536);
    const port = key - address * 65536;
    let at = this.find(address, port);
    if (this.table[at] === 0) {
      if ((this.used + 1) * 2 > this.table.length) {
        this.grow();
        at = this.find(address, port);
      }
      this.used++;
    }
    this.table[at] = value + 1;
  }

  /**
   * The slot under IPv4 `address`:`port` if there is one; else indexes `value` there and returns
   * -1 (the caller writes `value`'s columns before the next call). One probe for the ingest's
   * look-up-then-insert.
   */
  claimV4(address: number, port: number, value: number): number {
    if ((this.used + 1) * 2 > this.table.length) this.grow();
    const at = this.find(address, port);
    const v = this.table[at]!;
    if (v !== 0) return v - 1;
    this.table[at] = value + 1;
    this.used++;
    return -1;
  }

  setName(id: string, value: number): void {
    this.byName.set(id, value);
  }

  /** Drop `key`, only if it holds `value` (a fresh endpoint may have replaced it). */
  deleteKey(key: number, value: number): void {
    const address = Math.floor(key / 65536);
    let at = this.find(address, key - address * 65536);
    if (this.table[at] !== value + 1) return;
    // Linear probing deletes by shifting back the entries of the run after the hole that would
    // no longer be reachable from their home slot (no tombstones to sweep later).
    const table = this.table;
    const mask = this.mask;
    const addr = this.columns.addr;
    const ports = this.columns.port;
    let next = at;
    for (;;) {
      next = (next + 1) & mask;
      const v = table[next]!;
      if (v === 0) break;
      const home = mix(addr[v - 1]!, ports[v - 1]!) & mask;
      // Move `next` into the hole unless its home lies cyclically in (at, next].
      if (at <= next ? at < home && home <= next : at < home || home <= next) continue;
      table[at] = v;
      at = next;
    }
    table[at] = 0;
    this.used--;
  }

  deleteName(id: string, value: number): void {
    if (this.byName.get(id) === value) this.byName.delete(id);
  }

  /**
   * Every value `v` becomes `remap[v]` (the store closed its holes, moving each slot's columns
   * with it, so keys and their places in the table are unchanged; removed ones were deleted first).
   */
  remap(remap: Int32Array): void {
    const table = this.table;
    for (let i = 0; i < table.length; i++) {
      const v = table[i]!;
      if (v !== 0) table[i] = remap[v - 1]! + 1;
    }
    for (const [id, v] of this.byName) this.byName.set(id, remap[v]!);
  }

  clear(): void {
    this.table = new Int32Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.used = 0;
    this.byName.clear();
  }

  /** The entry holding `address`:`port`, or the empty entry where it would go. */
  private find(address: number, port: number): number {
    const table = this.table;
    const mask = this.mask;
    const addr = this.columns.addr;
    const ports = this.columns.port;
    let at = mix(address, port) & mask;
    for (;;) {
      const v = table[at]!;
      if (v === 0 || (addr[v - 1] === address && ports[v - 1] === port)) return at;
      at = (at + 1) & mask;
    }
  }

  /** Make room for `more` IPv4 entries at once (an ingest knows its batch size: one rehash, not log n). */
  reserve(more: number): void {
    let capacity = this.table.length;
    while ((this.used + more) * 2 > capacity) capacity *= 2;
    if (capacity !== this.table.length) this.rehash(capacity);
  }

  private grow(): void {
    this.rehash(this.table.length * 2);
  }

  private rehash(capacity: number): void {
    const old = this.table;
    const table = new Int32Array(capacity);
    const mask = capacity - 1;
    const addr = this.columns.addr;
    const ports = this.columns.port;
    for (let i = 0; i < old.length; i++) {
      const v = old[i]!;
      if (v === 0) continue;
      let at = mix(addr[v - 1]!, ports[v - 1]!) & mask;
      while (table[at] !== 0) at = (at + 1) & mask;
      table[at] = v;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** Mixes address and port into 32 well-spread bits. */
function mix(address: number, port: number): number {
  let h = Math.imul(address | 0, 0x9e3779b1) ^ Math.imul(port, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}
