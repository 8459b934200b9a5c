// Sliced ingest (pool/ingest.ts, EndpointPool.ingestInSlices): the pool is consistent and serves
// between slices. The yields are driven by the test, and time by a ManualClock.
import { describe, expect, it } from 'vitest';
import { isUsable } from '../src/pool/endpoint.js';
import type { ParsedEndpoint } from '../src/provider/types.js';
import { Refresher } from '../src/refresh/refresher.js';
import { filterInSlices } from '../src/pool/ingest.js';
import { makePool } from './helpers/pool.js';

const LIFE = 60_000;

function batch(from: number, to: number): ParsedEndpoint[] {
  return Array.from({ length: to - from }, (_, i) => ({
    host: `198.51.${Math.floor((from + i) / 250)}.${((from + i) % 250) + 1}`,
    port: 1000,
  }));
}

/** A yieldToLoop the test releases one pause at a time. */
function gate() {
  const waiting: Array<() => void> = [];
  return {
    yieldToLoop: () => new Promise<void>((resolve) => waiting.push(resolve)),
    get paused() {
      return waiting.length > 0;
    },
    release: async () => {
      waiting.shift()?.();
      // Let the ingest run its next slice up to the following pause.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

describe('EndpointPool.ingestInSlices', () => {
  it('adds slice by slice; between slices the pool serves from what is in, sessions included', async () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    const g = gate();
    const done = pool.ingestInSlices(sub, batch(0, 10), clock.now(), LIFE, { maxEntries: 4, yieldToLoop: g.yieldToLoop });
    // The first slice ran synchronously up to the first pause.
    expect(sub.size).toBe(4);
    expect(g.paused).toBe(true);
    expect(pool.counters.extracted).toBe(4);
    const first = pool.select(sub, 'cart')!;
    expect(sub.endpoints.slice(0, 4)).toContain(first);
    clock.advance(1_000);
    await g.release();
    expect(sub.size).toBe(8);
    expect(pool.select(sub, 'cart')).toBe(first);
    // Round-robin reaches the new endpoints too.
    const seen = new Set(Array.from({ length: 8 }, () => pool.select(sub, undefined)));
    expect(seen.size).toBe(8);
    await g.release();
    await expect(done).resolves.toEqual({ added: 10, renewed: 0 });
    expect(sub.size).toBe(10);
    // Every endpoint has the expiry of the batch's instant, not of the slice's.
    expect(sub.endpoints.every((e) => e.expiresAt === clock.now() - 1_000 + LIFE)).toBe(true);
    expect(sub.endpoints.every((e) => isUsable(e, clock.now()))).toBe(true);
  });

  it('renews what is already there, and counts renewals per slice', async () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest(batch(0, 3), clock.now(), LIFE);
    const g = gate();
    const done = pool.ingestInSlices(sub, batch(0, 6), clock.now() + 10, LIFE, { maxEntries: 2, yieldToLoop: g.yieldToLoop });
    expect(pool.counters.renewed).toBe(2);
    while (g.paused) await g.release();
    await expect(done).resolves.toEqual({ added: 3, renewed: 3 });
    expect(sub.size).toBe(6);
  });

  it('emits one extracted event with the totals', async () => {
    const { pool, clock } = makePool();
    const events: unknown[] = [];
    pool.events.on((e) => events.push(e));
    const g = gate();
    const done = pool.ingestInSlices(pool.defaultPool, batch(0, 5), clock.now(), LIFE, { maxEntries: 2, yieldToLoop: g.yieldToLoop });
    while (g.paused) await g.release();
    await done;
    expect(events).toEqual([{ type: 'extracted', pool: pool.defaultPool.key, added: 5, renewed: 0 }]);
  });

  it('stops when the sub-pool is dropped meanwhile', async () => {
    const { pool, clock } = makePool({ idleDropMs: 1_000 });
    const sub = pool.subPoolFor({ cc: 'de' });
    const g = gate();
    const done = pool.ingestInSlices(sub, batch(0, 10), clock.now(), LIFE, { maxEntries: 4, yieldToLoop: g.yieldToLoop });
    clock.advance(2_000);
    expect(pool.dropIdle()).toEqual([sub]);
    await g.release();
    await expect(done).resolves.toEqual({ added: 4, renewed: 0 });
    expect(sub.size).toBe(0);
  });

  it('the refresher ingests a large answer in slices, yielding to the event loop', async () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    const size = 20_000;
    const refresher = new Refresher({
      source: { name: 'big', extract: () => Promise.resolve({ endpoints: batch(0, size), malformed: 0 }) },
      pool,
      clock,
      query: { num: size },
      lifetimeMs: LIFE,
      poolMin: 1,
      concurrency: 1,
    });
    let finished = false;
    const run = refresher.refreshNow(sub).then(() => {
      finished = true;
    });
    const sizes: number[] = [];
    const served: boolean[] = [];
    while (!finished) {
      await new Promise((resolve) => setImmediate(resolve));
      sizes.push(sub.size);
      served.push(pool.select(sub, undefined) !== undefined);
    }
    await run;
    expect(sub.size).toBe(size);
    // Seen part-way: at least one turn of the loop ran between slices with the pool part full.
    expect(sizes.some((n) => n > 0 && n < size)).toBe(true);
    expect(served.filter((ok, i) => sizes[i]! > 0).every(Boolean)).toBe(true);
    refresher.stop();
  });
});

describe('filterInSlices', () => {
  it('drops refused entries in place, in order, with the first reason, pausing between slices', async () => {
    const list = batch(0, 10);
    const kept = list.filter((_, i) => i % 3 !== 0);
    let pauses = 0;
    const result = await filterInSlices(list, (e) => (Number(e.host.split('.')[3]) % 3 === 1 ? `refused ${e.host}` : undefined), {
      maxEntries: 3,
      yieldToLoop: () => {
        pauses++;
        return Promise.resolve();
      },
    });
    expect(list).toEqual(kept);
    expect(result).toEqual({ rejected: 4, example: 'refused 198.51.0.1' });
    expect(pauses).toBe(3);
  });
});
