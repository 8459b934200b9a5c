/**
 * A binary min-heap of store slots by (uses, useSeq): the least handed out first, and among equals
 * the one handed out (or added) longest ago, so ties rotate. Each slot's index here is the store's
 * `heapSlot` column, so a use or a removal anywhere in the heap is O(log n) with no search; the
 * comparisons read the store's columns, never an object.
 */
import type { EndpointStore } from '../endpoint-store.js';

export class UseHeap {
  private heap = new Int32Array(16);
  private n = 0;
  private seq = 0;

  constructor(private readonly store: EndpointStore) {}

  get size(): number {
    return this.n;
  }

  /** The top slot, or -1. */
  top(): number {
    return this.n === 0 ? -1 : this.heap[0]!;
  }

  has(slot: number): boolean {
    const at = this.store.heapSlot[slot]!;
    return at >= 0 && at < this.n && this.heap[at] === slot;
  }

  add(slot: number): void {
    if (this.has(slot)) return;
    if (this.n === this.heap.length) {
      const heap = new Int32Array(this.heap.length * 2);
      heap.set(this.heap);
      this.heap = heap;
    }
    this.store.useSeq[slot] = ++this.seq;
    const at = this.n++;
    this.heap[at] = slot;
    this.store.heapSlot[slot] = at;
    this.up(at);
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    const heapSlot = this.store.heapSlot;
    const i = heapSlot[slot]!;
    heapSlot[slot] = -1;
    const last = this.heap[--this.n]!;
    if (last === slot) return;
    this.heap[i] = last;
    heapSlot[last] = i;
    this.down(i);
    this.up(heapSlot[last]!);
  }

  /** The slot's use count just grew by one: it moves behind everything it now ties with or exceeds. */
  used(slot: number): void {
    if (!this.has(slot)) return;
    this.store.useSeq[slot] = ++this.seq;
    this.down(this.store.heapSlot[slot]!);
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) this.store.heapSlot[this.heap[i]!] = -1;
    this.n = 0;
  }

  /** The store moved its slots (EndpointStore.compact); the heap order does not change. */
  remap(remap: Int32Array): void {
    for (let i = 0; i < this.n; i++) this.heap[i] = remap[this.heap[i]!]!;
  }

  private before(a: number, b: number): boolean {
    const uses = this.store.uses;
    const ua = uses[a]!;
    const ub = uses[b]!;
    return ua < ub || (ua === ub && this.store.useSeq[a]! < this.store.useSeq[b]!);
  }

  private up(i: number): void {
    const heap = this.heap;
    const heapSlot = this.store.heapSlot;
    const e = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.before(e, p)) break;
      heap[i] = p;
      heapSlot[p] = i;
      i = parent;
    }
    heap[i] = e;
    heapSlot[e] = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const heapSlot = this.store.heapSlot;
    const n = this.n;
    const e = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.before(heap[child + 1]!, heap[child]!)) child++;
      const c = heap[child]!;
      if (!this.before(c, e)) break;
      heap[i] = c;
      heapSlot[c] = i;
      i = child;
    }
    heap[i] = e;
    heapSlot[e] = i;
  }
}
