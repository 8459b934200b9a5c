// Selection from the sub-pool's live set (pool/live-set.ts) and the least-used heap, through the
// pool's own paths: ingest, hand-out, markEjected/markReadmitted, expiry on a ManualClock.
import { describe, expect, it } from 'vitest';
import { isUsable, type Endpoint } from '../src/pool/endpoint.js';
import { makePool, parsed } from './helpers/pool.js';
import type { RotateStrategy } from '../src/config/types.js';
import { rng } from './helpers/rng.js';

const LIFE = 60_000;

function stocked(rotate: RotateStrategy, n: number, random?: () => number) {
  const { pool, clock } = makePool({ rotate, ...(random === undefined ? {} : { random }) });
  const sub = pool.defaultPool;
  sub.ingest(
    Array.from({ length: n }, (_, i) => parsed(i + 1)),
    clock.now(),
    LIFE,
  );
  return { pool, clock, sub, list: [...sub.endpoints] };
}

describe('least-used through the pool', () => {
  it('hands out in turn while counts tie, then keeps counts level', () => {
    const { pool, sub, list } = stocked('least-used', 4);
    const picks = Array.from({ length: 8 }, () => pool.select(sub, undefined));
    expect(picks).toEqual([...list, ...list]);
    expect(list.map((e) => e.uses)).toEqual([2, 2, 2, 2]);
  });

  it('picks the least used among usable ones after ejections and expiry', () => {
    const { pool, clock, sub, list } = stocked('least-used', 3);
    // Counts 0,0,0 → hand out a few so they differ: a:3, b:1, c:2.
    for (const [e, n] of [
      [list[0]!, 3],
      [list[1]!, 1],
      [list[2]!, 2],
    ] as const) {
      for (let i = 0; i < n; i++) pool.select(sub, `s-${e.port}`);
    }
    // A session's repeat hand-outs count too (they went through the heap's used()).
    expect(list.map((e) => e.uses)).toEqual([3, 1, 2]);
    expect(pool.select(sub, undefined)).toBe(list[1]); // b: 1 → 2
    pool.markEjected(list[1]!, clock.now() + 30_000, 'test');
    expect(pool.select(sub, undefined)).toBe(list[2]); // c: 2 → 3, b is out
    // A short-lived fresh endpoint with no uses wins until it expires.
    sub.ingest([parsed(9)], clock.now(), 1_000);
    const fresh = sub.endpoints[3]!;
    expect(pool.select(sub, undefined)).toBe(fresh);
    clock.advance(1_000);
    expect(pool.select(sub, undefined)).toBe(list[0]); // a:3 and c:3 tie; a was handed out longer ago
    // Readmitted with a low count: found at once.
    pool.markReadmitted(list[1]!, 'test');
    expect(pool.select(sub, undefined)).toBe(list[1]);
  });

  it('always returns an endpoint with the lowest count among usable ones (random walk)', () => {
    const random = rng(7);
    const { pool, clock, sub } = stocked('least-used', 50);
    for (let step = 0; step < 3_000; step++) {
      const r = random();
      const all = sub.endpoints;
      const some = all[Math.floor(random() * all.length)]!;
      if (r < 0.05) pool.markEjected(some, clock.now() + 1_000, 'test');
      else if (r < 0.1 && some.health === 'ejected') pool.markReadmitted(some, 'test');
      else if (r < 0.12) sub.ingest([parsed(100 + Math.floor(random() * 100))], clock.now(), Math.floor(random() * 5_000));
      else if (r < 0.14) clock.advance(100);
      else if (r < 0.16) pool.pruneExpired(clock.now());
      else if (r < 0.2) pool.select(sub, `s${Math.floor(random() * 5)}`);
      const now = clock.now();
      const usable = sub.endpoints.filter((e) => isUsable(e, now));
      const min = Math.min(...usable.map((e) => e.uses));
      const picked = pool.select(sub, undefined);
      if (usable.length === 0) expect(picked).toBeUndefined();
      else {
        expect(picked).toBeDefined();
        expect(isUsable(picked!, now)).toBe(true);
        expect(picked!.uses - 1).toBe(min);
      }
    }
  });
});

describe('round-robin through the pool', () => {
  it('visits every usable endpoint once per cycle, in order, skipping ejected and expired ones', () => {
    const { pool, clock, sub, list } = stocked('round-robin', 6);
    sub.ingest([parsed(7)], clock.now(), 1_000);
    pool.markEjected(list[1]!, clock.now() + 30_000, 'test');
    clock.advance(1_000);
    const cycle = Array.from({ length: 5 }, () => pool.select(sub, undefined));
    expect(cycle).toEqual([list[0], list[2], list[3], list[4], list[5]]);
    pool.markReadmitted(list[1]!, 'test');
    // Readmitted at the end of the rotation, where the cursor stands after a full cycle.
    expect(Array.from({ length: 6 }, () => pool.select(sub, undefined))).toEqual([list[1], list[0], list[2], list[3], list[4], list[5]]);
  });

  it('stays fair across compaction of many removals', () => {
    const { pool, clock, sub, list } = stocked('round-robin', 200);
    for (let i = 0; i < 200; i += 3) pool.markEjected(list[i]!, clock.now() + 1, 'test');
    const usable = list.filter((_, i) => i % 3 !== 0);
    const seen = new Map<Endpoint, number>();
    for (let i = 0; i < usable.length * 3; i++) {
      const e = pool.select(sub, undefined)!;
      seen.set(e, (seen.get(e) ?? 0) + 1);
    }
    expect(seen.size).toBe(usable.length);
    expect([...seen.values()].every((n) => n === 3)).toBe(true);
  });

  it('takes back an endpoint whose health was set by hand once the pool is pruned', () => {
    const { pool, clock, sub, list } = stocked('round-robin', 2);
    list[0]!.health = 'ejected';
    expect(pool.select(sub, undefined)).toBe(list[1]);
    expect(pool.select(sub, undefined)).toBe(list[1]);
    list[0]!.health = 'healthy';
    pool.pruneExpired(clock.now());
    const next = [pool.select(sub, undefined), pool.select(sub, undefined)];
    expect(next).toContain(list[0]);
  });
});

describe('random and retry picks through the pool', () => {
  it('random picks only usable endpoints, and reaches all of them', () => {
    const { pool, clock, sub, list } = stocked('random', 20, rng(3));
    for (let i = 0; i < 20; i += 2) pool.markEjected(list[i]!, clock.now() + 1, 'test');
    const seen = new Set<Endpoint>();
    for (let i = 0; i < 2_000; i++) {
      const e = pool.select(sub, undefined)!;
      expect(isUsable(e, clock.now())).toBe(true);
      seen.add(e);
    }
    expect(seen.size).toBe(10);
  });

  it('random still answers with a source stuck on a hole', () => {
    const { pool, clock, sub, list } = stocked('random', 40, () => 0);
    for (let i = 0; i < 30; i++) pool.markEjected(list[i]!, clock.now() + 1, 'test');
    expect(pool.select(sub, undefined)).toBe(list[30]);
  });

  it('a retry never returns an avoided or unusable endpoint, and is undefined when nothing is left', () => {
    const { pool, clock, sub, list } = stocked('round-robin', 30, rng(11));
    sub.ingest([parsed(31)], clock.now(), 1);
    clock.advance(1);
    for (let i = 0; i < 10; i++) pool.markEjected(list[i]!, clock.now() + 1, 'test');
    const avoid = list.slice(10, 25);
    const seen = new Set<Endpoint>();
    for (let i = 0; i < 500; i++) {
      const e = pool.select(sub, undefined, avoid)!;
      expect(avoid).not.toContain(e);
      expect(isUsable(e, clock.now())).toBe(true);
      seen.add(e);
    }
    expect(seen).toEqual(new Set(list.slice(25)));
    expect(pool.select(sub, undefined, list.slice(10))).toBeUndefined();
  });
});
