/**
 * The endpoints of one sub-pool that are in rotation: not retired, not ejected, and not yet found
 * expired. Strategies pick from here instead of scanning every endpoint, so a pick at 100 000
 * endpoints costs what it costs at ten (bench/select.bench.mjs).
 *
 * Holds store slots (pool/endpoint-store.ts), not objects: an ingest of 100 000 endpoints puts
 * 100 000 numbers in one typed array, and a pick reads the store's columns, so nothing but the
 * endpoint handed out is ever an object. Kept in ingest order (round-robin walks it), with -1
 * holes where endpoints left and a compaction once holes reach half the list: a removal is O(1),
 * the compaction amortises to O(1) per removal, and the order survives (swap-removal would
 * reorder the rotation). Expiry is found lazily: a strategy that meets a slot no longer usable
 * removes it and picks again, so each endpoint costs one removal per admission however many
 * picks pass by. Each slot's index here is the store's `liveSlot` column.
 */
import type { EndpointStore } from './endpoint-store.js';

/** Told about every entry and exit (the least-used strategy keeps its heap in step). */
export interface LiveSetListener {
  added?(slot: number): void;
  removed?(slot: number): void;
}

/** Holes are closed up once they are this many and at least half the list. */
const MIN_HOLES_TO_COMPACT = 16;

export class LiveSet {
  /** Rotation order, slots; -1 is a hole. Only `[0, length)` is meaningful. Read-only outside. */
  items = new Int32Array(16);
  length = 0;
  /** Slots in the set (items minus holes). */
  count = 0;
  /** Round-robin's next index; lives here because compaction has to move it with the items. */
  cursor = 0;

  constructor(
    readonly store: EndpointStore,
    private readonly listener: LiveSetListener = {},
  ) {}

  has(slot: number): boolean {
    const at = this.store.liveSlot[slot]!;
    return at >= 0 && at < this.length && this.items[at] === slot;
  }

  /** Put `slot` into rotation at the end; false when it already is. */
  add(slot: number): boolean {
    if (this.has(slot)) return false;
    this.push(slot);
    return true;
  }

  /** Room for `more` slots without regrowing the list (an ingest knows its batch size). */
  reserve(more: number): void {
    const need = this.length + more;
    if (need <= this.items.length) return;
    // At least doubling, but no further (as EndpointStore.reserve).
    const items = new Int32Array(Math.max(need, this.items.length * 2));
    items.set(this.items.subarray(0, this.length));
    this.items = items;
  }

  /** add() of a slot known not to be in the set (a fresh one from the ingest). */
  push(slot: number): void {
    if (this.length === this.items.length) {
      const items = new Int32Array(this.items.length * 2);
      items.set(this.items);
      this.items = items;
    }
    this.store.liveSlot[slot] = this.length;
    this.items[this.length++] = slot;
    this.count++;
    if (this.listener.added !== undefined) this.listener.added(slot);
  }

  /**
   * push() of the slots `first..end-1`, in order (an ingest's new slots): one capacity check for
   * all, and without a listener to tell, two stores per slot.
   */
  pushRange(first: number, end: number): void {
    if (end <= first) return;
    if (this.listener.added !== undefined) {
      for (let slot = first; slot < end; slot++) this.push(slot);
      return;
    }
    this.reserve(end - first);
    const items = this.items;
    const liveSlot = this.store.liveSlot;
    let at = this.length;
    for (let slot = first; slot < end; slot++) {
      liveSlot[slot] = at;
      items[at++] = slot;
    }
    this.count += at - this.length;
    this.length = at;
  }

  /** Take `slot` out of rotation; false when it was not in it. */
  remove(slot: number): boolean {
    if (!this.has(slot)) return false;
    const at = this.store.liveSlot[slot]!;
    this.store.liveSlot[slot] = -1;
    this.count--;
    const items = this.items;
    if (at === this.length - 1) {
      this.length--;
      // Trailing holes go too, so the list never ends in a hole.
      while (this.length > 0 && items[this.length - 1] === -1) this.length--;
    } else {
      items[at] = -1;
    }
    this.listener.removed?.(slot);
    const holes = this.length - this.count;
    if (holes >= MIN_HOLES_TO_COMPACT && holes * 2 >= this.length) this.compact();
    return true;
  }

  /** Empty the set (the sub-pool is dropped). */
  clear(): void {
    for (let i = 0; i < this.length; i++) {
      const slot = this.items[i]!;
      if (slot === -1) continue;
      this.store.liveSlot[slot] = -1;
      this.listener.removed?.(slot);
    }
    this.items = new Int32Array(16);
    this.length = 0;
    this.count = 0;
    this.cursor = 0;
  }

  /** The store moved its slots (EndpointStore.compact): follow them. Order is unchanged. */
  remap(remap: Int32Array): void {
    for (let i = 0; i < this.length; i++) {
      const slot = this.items[i]!;
      if (slot !== -1) this.items[i] = remap[slot]!;
    }
  }

  private compact(): void {
    const items = this.items;
    let w = 0;
    let cursor = 0;
    for (let r = 0; r < this.length; r++) {
      if (r === this.cursor) cursor = w;
      const slot = items[r]!;
      if (slot === -1) continue;
      this.store.liveSlot[slot] = w;
      items[w++] = slot;
    }
    if (this.cursor >= this.length) cursor = w;
    this.length = w;
    this.cursor = cursor;
  }
}
