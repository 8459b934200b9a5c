import { describe, expect, it } from 'vitest';
import { Endpoint } from '../src/pool/endpoint.js';
import { LiveSet } from '../src/pool/live-set.js';

function endpoints(n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => new Endpoint({ host: `203.0.113.${(i % 250) + 1}`, port: 1000 + i }, 'k', 0, 1e15));
}

function members(live: LiveSet): Endpoint[] {
  return live.items.filter((e): e is Endpoint => e !== undefined);
}

describe('LiveSet', () => {
  it('adds once, removes once, and tells its listener each time', () => {
    const seen: string[] = [];
    const live = new LiveSet({ added: (e) => seen.push(`+${e.port}`), removed: (e) => seen.push(`-${e.port}`) });
    const [a, b] = endpoints(2);
    expect(live.add(a!)).toBe(true);
    expect(live.add(a!)).toBe(false);
    expect(live.add(b!)).toBe(true);
    expect(live.remove(a!)).toBe(true);
    expect(live.remove(a!)).toBe(false);
    expect(live.count).toBe(1);
    expect(live.has(a!)).toBe(false);
    expect(live.has(b!)).toBe(true);
    expect(seen).toEqual(['+1000', '+1001', '-1000']);
  });

  it('keeps rotation order through removals and compaction, and keeps the cursor on the same endpoint', () => {
    const list = endpoints(100);
    const live = new LiveSet();
    for (const e of list) live.add(e);
    live.cursor = 80; // next round-robin pick: list[80]
    // Remove every even one below 80 and a few above: enough holes to compact.
    for (let i = 0; i < 80; i += 2) live.remove(list[i]!);
    live.remove(list[90]!);
    const expected = list.filter((_, i) => !((i < 80 && i % 2 === 0) || i === 90));
    expect(members(live)).toEqual(expected);
    expect(live.count).toBe(expected.length);
    expect(live.items.length - live.count).toBeLessThan(live.items.length / 2);
    expect(live.items[live.cursor]).toBe(list[80]);
    for (const e of expected) expect(live.items[e.liveSlot]).toBe(e);
  });

  it('drops trailing holes instead of keeping them', () => {
    const list = endpoints(3);
    const live = new LiveSet();
    for (const e of list) live.add(e);
    live.remove(list[1]!);
    live.remove(list[2]!);
    expect(live.items).toEqual([list[0]]);
  });

  it('clear empties it, resets the slots and tells the listener', () => {
    let removed = 0;
    const live = new LiveSet({ removed: () => removed++ });
    const list = endpoints(5);
    for (const e of list) live.add(e);
    live.clear();
    expect(live.count).toBe(0);
    expect(removed).toBe(5);
    expect(list.every((e) => e.liveSlot === -1)).toBe(true);
  });
});
