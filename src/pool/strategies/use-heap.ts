/**
 * A binary min-heap of endpoints by (uses, useSeq): the least handed out first, and among equals
 * the one handed out (or added) longest ago, so ties rotate. Each endpoint carries its index
 * (`heapSlot`), so a use or a removal anywhere in the heap is O(log n) with no search.
 */
import type { Endpoint } from '../endpoint.js';

export class UseHeap {
  private readonly heap: Endpoint[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  top(): Endpoint | undefined {
    return this.heap[0];
  }

  has(e: Endpoint): boolean {
    return e.heapSlot >= 0 && this.heap[e.heapSlot] === e;
  }

  add(e: Endpoint): void {
    if (this.has(e)) return;
    e.useSeq = ++this.seq;
    e.heapSlot = this.heap.length;
    this.heap.push(e);
    this.up(e.heapSlot);
  }

  remove(e: Endpoint): void {
    if (!this.has(e)) return;
    const i = e.heapSlot;
    e.heapSlot = -1;
    const last = this.heap.pop()!;
    if (last === e) return;
    this.heap[i] = last;
    last.heapSlot = i;
    this.down(i);
    this.up(last.heapSlot);
  }

  /** `e.uses` just grew by one: it moves behind everything it now ties with or exceeds. */
  used(e: Endpoint): void {
    if (!this.has(e)) return;
    e.useSeq = ++this.seq;
    this.down(e.heapSlot);
  }

  clear(): void {
    for (const e of this.heap) e.heapSlot = -1;
    this.heap.length = 0;
  }

  private up(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(e, p)) break;
      heap[i] = p;
      p.heapSlot = i;
      i = parent;
    }
    heap[i] = e;
    e.heapSlot = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1]!, heap[child]!)) child++;
      const c = heap[child]!;
      if (!before(c, e)) break;
      heap[i] = c;
      c.heapSlot = i;
      i = child;
    }
    heap[i] = e;
    e.heapSlot = i;
  }
}

function before(a: Endpoint, b: Endpoint): boolean {
  return a.uses < b.uses || (a.uses === b.uses && a.useSeq < b.useSeq);
}
