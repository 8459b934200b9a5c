import { describe, expect, it } from 'vitest';
import type { EndpointSource, ExtractQuery, ParseResult } from '../src/provider/types.js';
import { BUCKETS, COVERAGE, DemandMeter, targetSize } from '../src/refresh/demand.js';
import { Refresher, type RefresherOptions } from '../src/refresh/refresher.js';
import { makePool, parsed } from './helpers/pool.js';

const LIFE = 60_000;
const T0 = 1_700_000_000_000;

describe('DemandMeter', () => {
  it('is cold for the first half lifetime, then extrapolates picks to a whole lifetime', () => {
    const m = new DemandMeter(LIFE, T0);
    m.observe(10, T0 + 10_000);
    expect(m.picksPerLifetime(T0 + 29_999)).toBeUndefined();
    // 10 picks in 30 s watched → 20 per 60 s lifetime.
    expect(m.picksPerLifetime(T0 + 30_000)).toBeCloseTo(20, 5);
    // 30 picks within the trailing window of 29 whole 2 s buckets and the current one: 30 × 60 / 58.
    m.observe(30, T0 + 60_000);
    expect(m.picksPerLifetime(T0 + 60_000)).toBeCloseTo((30 * 60) / 58, 5);
  });

  it('forgets picks older than one lifetime', () => {
    const m = new DemandMeter(LIFE, T0);
    m.observe(100, T0 + 1_000);
    expect(m.picksPerLifetime(T0 + 40_000)).toBeGreaterThan(100);
    expect(m.picksPerLifetime(T0 + 2 * LIFE + 1_000)).toBe(0);
  });

  it('counts only what the monotonic counter moved by', () => {
    const m = new DemandMeter(LIFE, T0);
    m.observe(5, T0 + 1_000);
    m.observe(5, T0 + 2_000);
    m.observe(7, T0 + 3_000);
    // 7 picks in 30 s watched → 14 per lifetime.
    expect(m.picksPerLifetime(T0 + 30_000)).toBeCloseTo(14, 5);
  });

  it('round-trips through a snapshot, and refuses one of another bucket size', () => {
    const m = new DemandMeter(LIFE, T0);
    m.observe(42, T0 + 50_000);
    const snap = m.snapshot(T0 + 55_000);
    expect(snap.buckets.length).toBeLessThanOrEqual(BUCKETS);
    const restored = new DemandMeter(LIFE, T0 + 56_000);
    expect(restored.restore(snap, T0 + 56_000)).toBe(true);
    expect(restored.picksPerLifetime(T0 + 56_000)).toBeCloseTo(m.picksPerLifetime(T0 + 56_000)!, 5);
    const other = new DemandMeter(LIFE * 2, T0 + 56_000);
    expect(other.restore(snap, T0 + 56_000)).toBe(false);
    expect(other.picksPerLifetime(T0 + 56_000)).toBeUndefined();
  });
});

describe('targetSize', () => {
  it('is the ceiling while cold, else picks / coverage within floor and ceiling', () => {
    expect(targetSize(undefined, 2, 3, 10)).toBe(10);
    expect(targetSize(0, 2, 3, 10)).toBe(3);
    expect(targetSize(11, 2, 3, 10)).toBe(6);
    expect(targetSize(1_000, 2, 3, 10)).toBe(10);
    // A floor above the ceiling wins (--pool-min 20 --num 10 keeps 20, in two calls).
    expect(targetSize(0, 2, 20, 10)).toBe(20);
    expect(COVERAGE.random).toBeGreaterThan(COVERAGE['round-robin']);
  });
});

/** A source that returns `query.num` fresh endpoints per call and records what it was asked. */
class CountingSource implements EndpointSource {
  readonly name = 'counting';
  readonly asked: number[] = [];
  private next = 1;
  extract(query: ExtractQuery): Promise<ParseResult> {
    this.asked.push(query.num);
    const endpoints = Array.from({ length: query.num }, () => parsed(this.next++ % 250));
    return Promise.resolve({ endpoints, malformed: 0 });
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function setup(options: Partial<RefresherOptions> = {}) {
  const { pool, clock } = makePool();
  const source = new CountingSource();
  const refresher = new Refresher({
    source,
    pool,
    clock,
    query: { num: 20, life: 1 },
    lifetimeMs: LIFE,
    poolMin: 2,
    concurrency: 1,
    random: () => 0,
    ...options,
  });
  const sub = pool.defaultPool;
  /** `n` rotations, then `ms` of clock with a tick per second. */
  const run = async (picksPerSecond: number, ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 1_000) {
      for (let i = 0; i < picksPerSecond; i++) pool.select(sub, undefined);
      clock.advance(1_000);
      refresher.tick();
      await flush();
    }
  };
  return { pool, clock, source, refresher, sub, run };
}

describe('Refresher sizing by demand', () => {
  it('asks --num cold, then what the measured demand lacks', async () => {
    const { source, refresher, run, sub } = setup();
    await run(0, 1_000);
    expect(source.asked).toEqual([20]);
    // 1 pick/s = 60 per lifetime → target 30, capped at --num 20: the refresh before expiry asks 20.
    await run(1, 60_000);
    expect(source.asked).toEqual([20, 20]);
    expect(refresher.demandStatus(sub).target).toBe(20);
  });

  it('shrinks to the floor when idle', async () => {
    const { source, run, refresher, sub } = setup();
    await run(0, 4 * LIFE);
    expect(source.asked[0]).toBe(20);
    expect(source.asked.slice(1).every((n) => n === 2)).toBe(true);
    expect(source.asked.length).toBeGreaterThan(2);
    expect(refresher.demandStatus(sub)).toEqual({ picksPerLifetime: 0, target: 2 });
  });

  it('tops up once demand needs more than twice what is stocked', async () => {
    const { source, run, pool, sub } = setup({ query: { num: 40, life: 1 } });
    // Warm at a low rate: 10 picks per lifetime → target 5.
    await run(0, 1_000);
    for (let i = 0; i < 3; i++) await run(0, 5_000).then(() => pool.select(sub, undefined));
    await run(0, LIFE);
    const before = source.asked.length;
    // A burst: 5 picks/s = 300 per lifetime → target 40 (capped), far above the stock.
    await run(5, 20_000);
    expect(source.asked.length).toBeGreaterThan(before);
    expect(source.asked.slice(before).some((n) => n > 10)).toBe(true);
    // Bounded: no call per tick, at most one per look-ahead window (12 s) plus expiry refreshes.
    expect(source.asked.length - before).toBeLessThanOrEqual(3);
  });

  it('asks --num every time with sizing fixed', async () => {
    const { source, run } = setup({ sizing: 'fixed' });
    await run(0, 3 * LIFE);
    expect(source.asked.length).toBeGreaterThan(2);
    expect(source.asked.every((n) => n === 20)).toBe(true);
  });

  it('does not top up while the provider brings nothing new', async () => {
    const { pool, clock, refresher, sub } = setup();
    const fixed: EndpointSource = {
      name: 'three',
      extract: () => Promise.resolve({ endpoints: [parsed(1), parsed(2), parsed(3)], malformed: 0 }),
    };
    const r2 = new Refresher({ source: fixed, pool, clock, query: { num: 20 }, lifetimeMs: LIFE, poolMin: 2, concurrency: 1 });
    refresher.stop();
    let calls = 0;
    const orig = fixed.extract.bind(fixed);
    fixed.extract = (q) => {
      calls++;
      return orig(q);
    };
    for (let t = 0; t < 70_000; t += 1_000) {
      for (let i = 0; i < 5; i++) pool.select(sub, undefined);
      clock.advance(1_000);
      r2.tick();
      await flush();
    }
    // One cold call, then at most one demand top-up that renews the same three and stops there.
    expect(calls).toBeLessThanOrEqual(2);
  });
});
