/**
 * The endpoints of one sub-pool that are in rotation: not retired, not ejected, and not yet found
 * expired. Strategies pick from here instead of scanning every endpoint, so a pick at 100 000
 * endpoints costs what it costs at ten (bench/select.bench.mjs).
 *
 * Kept in ingest order (round-robin walks it), with `undefined` holes where endpoints left and a
 * compaction once holes reach half the list: a removal is O(1), the compaction amortises to O(1)
 * per removal, and the order survives (swap-removal would reorder the rotation). Expiry is found
 * lazily: a strategy that meets an endpoint no longer usable removes it and picks again, so each
 * endpoint costs one removal per admission however many picks pass by.
 */
import type { Endpoint } from './endpoint.js';

/** Told about every entry and exit (the least-used strategy keeps its heap in step). */
export interface LiveSetListener {
  added?(e: Endpoint): void;
  removed?(e: Endpoint): void;
}

/** Holes are closed up once they are this many and at least half the list. */
const MIN_HOLES_TO_COMPACT = 16;

export class LiveSet {
  /** Rotation order; `undefined` is a hole. Read-only outside this class. */
  items: Array<Endpoint | undefined> = [];
  /** Endpoints in the set (items minus holes). */
  count = 0;
  /** Round-robin's next index; lives here because compaction has to move it with the items. */
  cursor = 0;

  constructor(private readonly listener: LiveSetListener = {}) {}

  has(e: Endpoint): boolean {
    return e.liveSlot >= 0 && this.items[e.liveSlot] === e;
  }

  /** Put `e` into rotation at the end; false when it already is. */
  add(e: Endpoint): boolean {
    if (this.has(e)) return false;
    e.liveSlot = this.items.length;
    this.items.push(e);
    this.count++;
    this.listener.added?.(e);
    return true;
  }

  /** Take `e` out of rotation; false when it was not in it. */
  remove(e: Endpoint): boolean {
    if (!this.has(e)) return false;
    const slot = e.liveSlot;
    e.liveSlot = -1;
    this.count--;
    const items = this.items;
    if (slot === items.length - 1) {
      items.pop();
      // Trailing holes go too, so the list never ends in a hole.
      while (items.length > 0 && items[items.length - 1] === undefined) items.pop();
    } else {
      items[slot] = undefined;
    }
    this.listener.removed?.(e);
    const holes = items.length - this.count;
    if (holes >= MIN_HOLES_TO_COMPACT && holes * 2 >= items.length) this.compact();
    return true;
  }

  /** Empty the set (the sub-pool is dropped). */
  clear(): void {
    for (const e of this.items) {
      if (e === undefined) continue;
      e.liveSlot = -1;
      this.listener.removed?.(e);
    }
    this.items = [];
    this.count = 0;
    this.cursor = 0;
  }

  private compact(): void {
    const items = this.items;
    let w = 0;
    let cursor = 0;
    for (let r = 0; r < items.length; r++) {
      if (r === this.cursor) cursor = w;
      const e = items[r];
      if (e === undefined) continue;
      e.liveSlot = w;
      items[w++] = e;
    }
    if (this.cursor >= items.length) cursor = w;
    items.length = w;
    this.cursor = cursor;
  }
}
