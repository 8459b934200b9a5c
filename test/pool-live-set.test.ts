// LiveSet holds store slots in rotation order (pool/live-set.ts); each slot's place is the
// store's liveSlot column.
import { describe, expect, it } from 'vitest';
import { EndpointStore } from '../src/pool/endpoint-store.js';
import { LiveSet } from '../src/pool/live-set.js';

function storeOf(n: number): EndpointStore {
  const store = new EndpointStore('k');
  for (let i = 0; i < n; i++) store.append(0xcb007100 + (i % 250) + 1, 1000 + i, undefined, undefined, undefined, 0, 1e15);
  return store;
}

function members(live: LiveSet): number[] {
  return Array.from(live.items.subarray(0, live.length)).filter((s) => s !== -1);
}

describe('LiveSet', () => {
  it('adds once, removes once, and tells its listener each time', () => {
    const store = storeOf(2);
    const seen: string[] = [];
    const live = new LiveSet(store, { added: (s) => seen.push(`+${store.port[s]}`), removed: (s) => seen.push(`-${store.port[s]}`) });
    expect(live.add(0)).toBe(true);
    expect(live.add(0)).toBe(false);
    expect(live.add(1)).toBe(true);
    expect(live.remove(0)).toBe(true);
    expect(live.remove(0)).toBe(false);
    expect(live.count).toBe(1);
    expect(live.has(0)).toBe(false);
    expect(live.has(1)).toBe(true);
    expect(seen).toEqual(['+1000', '+1001', '-1000']);
  });

  it('keeps rotation order through removals and compaction, and keeps the cursor on the same slot', () => {
    const store = storeOf(100);
    const live = new LiveSet(store);
    for (let s = 0; s < 100; s++) live.add(s);
    live.cursor = 80; // next round-robin pick: slot 80
    // Remove every even one below 80 and a few above: enough holes to compact.
    for (let s = 0; s < 80; s += 2) live.remove(s);
    live.remove(90);
    const expected = Array.from({ length: 100 }, (_, s) => s).filter((s) => !((s < 80 && s % 2 === 0) || s === 90));
    expect(members(live)).toEqual(expected);
    expect(live.count).toBe(expected.length);
    expect(live.length - live.count).toBeLessThan(live.length / 2);
    expect(live.items[live.cursor]).toBe(80);
    for (const s of expected) expect(live.items[store.liveSlot[s]!]).toBe(s);
  });

  it('drops trailing holes instead of keeping them', () => {
    const live = new LiveSet(storeOf(3));
    for (let s = 0; s < 3; s++) live.add(s);
    live.remove(1);
    live.remove(2);
    expect(live.length).toBe(1);
    expect(members(live)).toEqual([0]);
  });

  it('clear empties it, resets the slots and tells the listener', () => {
    let removed = 0;
    const store = storeOf(5);
    const live = new LiveSet(store, { removed: () => removed++ });
    for (let s = 0; s < 5; s++) live.add(s);
    live.clear();
    expect(live.count).toBe(0);
    expect(removed).toBe(5);
    expect(Array.from(store.liveSlot.subarray(0, 5)).every((at) => at === -1)).toBe(true);
  });

  it('remap follows the store when it closes holes, order kept', () => {
    const store = storeOf(4);
    const live = new LiveSet(store);
    for (const s of [3, 1, 2]) live.add(s);
    live.remap(Int32Array.from([-1, 0, 1, 2]));
    expect(members(live)).toEqual([2, 0, 1]);
  });
});
