import { describe, it, expect } from 'vitest';
import { SwivelError } from '../src/errors.js';
import type { EndpointSource, ExtractQuery, ParseResult } from '../src/provider/types.js';
import { Refresher, type RefresherOptions } from '../src/refresh/refresher.js';
import { createLogSink } from './helpers/log-sink.js';
import { makePool, parsed } from './helpers/pool.js';

const LIFE = 60_000;
const POOL_MIN = 3;
const MIN_INTERVAL = 5_000;

function result(...ns: number[]): ParseResult {
  return { endpoints: ns.map((n) => parsed(n)), malformed: 0 };
}

/** An EndpointSource whose answers the test scripts; counts calls and keeps the queries. */
class FakeSource implements EndpointSource {
  readonly name = 'fake';
  calls = 0;
  readonly queries: ExtractQuery[] = [];
  answer: () => Promise<ParseResult> = () => Promise.resolve(result(1, 2, 3));
  extract(query: ExtractQuery): Promise<ParseResult> {
    this.calls++;
    this.queries.push(query);
    return this.answer();
  }
}

function setup(options: Partial<RefresherOptions> = {}) {
  const { pool, clock } = makePool();
  const source = new FakeSource();
  const { logger, records: lines } = createLogSink();
  const refresher = new Refresher({
    source,
    pool,
    clock,
    query: { num: 5, life: 1 },
    lifetimeMs: LIFE,
    poolMin: POOL_MIN,
    concurrency: 2,
    random: () => 0,
    backoff: { baseMs: 1_000, maxMs: 8_000 },
    minIntervalMs: MIN_INTERVAL,
    activeWindowMs: 60_000,
    logger,
    ...options,
  });
  /** Moves the clock by `ms`, ticks, and lets the extractions that tick started finish. */
  const tick = async (ms = 0): Promise<void> => {
    clock.advance(ms);
    refresher.tick();
    await flush();
  };
  return { clock, pool, source, refresher, tick, lines, sub: pool.defaultPool };
}

/** Let queued extraction attempts run to completion (the fake source answers at once). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function fail(code: 'provider_http' | 'provider_timeout' = 'provider_http'): () => Promise<ParseResult> {
  return () => Promise.reject(new SwivelError(code, `extraction failed (${code})`));
}

describe('Refresher.demand', () => {
  it('shares one extraction among 20 concurrent demands (single flight)', async () => {
    const { source, refresher, sub } = setup();
    let release!: (r: ParseResult) => void;
    source.answer = () => new Promise((resolve) => (release = resolve));
    const demands = Array.from({ length: 20 }, () => refresher.demand(sub));
    await flush();
    expect(source.calls).toBe(1);
    expect(new Set(demands).size).toBe(1);
    release(result(1, 2));
    await Promise.all(demands);
    expect(source.calls).toBe(1);
    expect(sub.size).toBe(2);
  });

  it('starts a new extraction once the previous one settled', async () => {
    const { source, refresher, sub } = setup();
    await refresher.demand(sub);
    await refresher.demand(sub);
    expect(source.calls).toBe(2);
    expect(refresher.calls).toBe(2);
  });

  it('asks with the fixed query plus the sub-pool’s geo', async () => {
    const { pool, source, refresher } = setup();
    const sub = pool.subPoolFor({ cc: 'de', city: 'berlin' });
    await refresher.demand(sub);
    expect(source.queries).toEqual([{ num: 5, life: 1, cc: 'de', state: undefined, city: 'berlin', ep: undefined }]);
  });

  it('ingests with the configured lifetime', async () => {
    const { clock, refresher, sub } = setup();
    await refresher.demand(sub);
    expect(sub.endpoints.map((e) => e.expiresAt)).toEqual([clock.now() + LIFE, clock.now() + LIFE, clock.now() + LIFE]);
  });

  it('is the pool’s supplier: acquire on an empty pool triggers an extraction', async () => {
    const { pool, source } = setup();
    const e = await pool.acquire({ geo: { cc: 'us' } });
    expect(source.calls).toBe(1);
    expect(source.queries[0]!.cc).toBe('us');
    expect(e.poolKey).toBe(pool.subPoolFor({ cc: 'us' }).key);
  });
});

describe('Refresher failures and back-off', () => {
  it('records the failure and waits out the back-off before calling again', async () => {
    const { clock, source, refresher, sub } = setup();
    source.answer = fail('provider_timeout');
    await refresher.demand(sub);
    expect(source.calls).toBe(1);
    expect(refresher.lastFailure(sub)?.code).toBe('provider_timeout');

    // random() = 0 → half of baseMs: 500 ms.
    source.answer = () => Promise.resolve(result(1));
    const during = refresher.demand(sub);
    await clock.advanceAsync(499);
    expect(source.calls).toBe(1);
    await clock.advanceAsync(1);
    await during;
    expect(source.calls).toBe(2);
    expect(refresher.lastFailure(sub)).toBeUndefined();
    expect(sub.size).toBe(1);
  });

  it('calls at once when the clock has passed the back-off', async () => {
    const { clock, source, refresher, sub } = setup();
    source.answer = fail();
    await refresher.demand(sub);
    clock.advance(500);
    await refresher.demand(sub);
    expect(source.calls).toBe(2);
  });

  it('doubles the back-off per consecutive failure, capped', async () => {
    const { clock, source, refresher, sub, lines } = setup();
    source.answer = fail();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      await refresher.demand(sub);
      const last = lines.filter((l) => typeof l.retryInMs === 'number').at(-1)!;
      delays.push(last.retryInMs as number);
      clock.advance(last.retryInMs as number);
    }
    expect(source.calls).toBe(6);
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('a success resets the back-off', async () => {
    const { clock, source, refresher, sub, lines } = setup();
    source.answer = fail();
    await refresher.demand(sub);
    clock.advance(500);
    await refresher.demand(sub);
    clock.advance(1_000);
    source.answer = () => Promise.resolve(result(1));
    await refresher.demand(sub);
    source.answer = fail();
    await refresher.demand(sub);
    expect(lines.filter((l) => typeof l.retryInMs === 'number').map((l) => l.retryInMs)).toEqual([500, 1_000, 500]);
  });

  it('wraps an uncoded error as internal', async () => {
    const { source, refresher, sub } = setup();
    source.answer = () => Promise.reject(new TypeError('boom'));
    await refresher.demand(sub);
    expect(refresher.lastFailure(sub)?.code).toBe('internal');
  });

  it('keeps serving unexpired endpoints while extraction fails', async () => {
    const { clock, source, refresher, sub } = setup();
    await refresher.demand(sub);
    source.answer = fail();
    clock.advance(MIN_INTERVAL);
    await refresher.demand(sub);
    expect(sub.usableAt(clock.now())).toBe(3);
  });
});

describe('Refresher extraction results', () => {
  it('fails with provider_empty when the answer lists nothing', async () => {
    const { source, refresher, sub } = setup();
    source.answer = () => Promise.resolve(result());
    await refresher.demand(sub);
    expect(refresher.lastFailure(sub)?.code).toBe('provider_empty');
    expect(sub.size).toBe(0);
  });

  it('drops what the reject hook refuses and warns once per extraction', async () => {
    const { source, refresher, sub, lines } = setup({ reject: (e) => (e.host.endsWith('.2') ? 'private address' : undefined) });
    source.answer = () => Promise.resolve(result(1, 2, 3));
    await refresher.demand(sub);
    expect(sub.endpoints.map((e) => e.host)).toEqual(['203.0.113.1', '203.0.113.3']);
    const warns = lines.filter((l) => l.msg === 'rejected endpoints at ingest');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ level: 40, rejected: 1, reason: 'private address' });
  });

  it('fails with provider_empty when the reject hook refuses everything', async () => {
    const { source, refresher, sub } = setup({ reject: () => 'loopback' });
    source.answer = () => Promise.resolve(result(1, 2));
    await refresher.demand(sub);
    expect(refresher.lastFailure(sub)?.code).toBe('provider_empty');
    expect(sub.size).toBe(0);
  });

  it('warns about malformed entries but keeps the good ones', async () => {
    const { source, refresher, sub, lines } = setup();
    source.answer = () => Promise.resolve({ endpoints: [parsed(1)], malformed: 2, firstMalformed: 'nonsense' });
    await refresher.demand(sub);
    expect(sub.size).toBe(1);
    expect(lines.filter((l) => l.level === 40 && l.malformed === 2 && l.example === 'nonsense')).toHaveLength(1);
  });
});

describe('Refresher.refreshNow', () => {
  it('throws the failure with its code', async () => {
    const { source, refresher, sub } = setup();
    source.answer = fail('provider_timeout');
    await expect(refresher.refreshNow(sub)).rejects.toMatchObject({ code: 'provider_timeout' });
    source.answer = () => Promise.resolve(result());
    await expect(refresher.refreshNow(sub)).rejects.toMatchObject({ code: 'provider_empty' });
  });

  it('bypasses the back-off', async () => {
    const { source, refresher, sub } = setup();
    source.answer = fail();
    await expect(refresher.refreshNow(sub)).rejects.toBeInstanceOf(SwivelError);
    source.answer = () => Promise.resolve(result(1));
    await expect(refresher.refreshNow(sub)).resolves.toBeUndefined();
    expect(source.calls).toBe(2);
    expect(sub.size).toBe(1);
  });
});

describe('Refresher.tick', () => {
  it('extracts for an empty default sub-pool', async () => {
    const { source, tick, sub } = setup();
    await tick();
    expect(source.calls).toBe(1);
    expect(sub.size).toBe(3);
  });

  it('does not extract while enough endpoints remain beyond the look-ahead', async () => {
    const { source, tick } = setup();
    await tick();
    await tick(10_000);
    expect(source.calls).toBe(1);
  });

  it('extracts ahead of expiry: within lifetime/5 (12 s) of the soonest expiries', async () => {
    const { source, tick } = setup();
    await tick();
    source.answer = () => Promise.resolve(result(4, 5, 6));
    await tick(LIFE - 12_000 - 1);
    expect(source.calls).toBe(1);
    await tick(1);
    expect(source.calls).toBe(2);
  });

  it('tops up below poolMin, but not more often than minIntervalMs while endpoints remain', async () => {
    const { clock, source, tick, sub } = setup();
    source.answer = () => Promise.resolve(result(1));
    await tick();
    expect(sub.usableAt(clock.now())).toBe(1);
    await tick(MIN_INTERVAL - 1);
    expect(source.calls).toBe(1);
    await tick(1);
    expect(source.calls).toBe(2);
  });

  it('does not call during back-off, and does once it ends', async () => {
    const { source, tick } = setup();
    source.answer = fail();
    await tick();
    await tick(499);
    expect(source.calls).toBe(1);
    await tick(1);
    expect(source.calls).toBe(2);
  });

  it('retires expired endpoints', async () => {
    const { source, tick, sub } = setup();
    await tick();
    const first = [...sub.endpoints];
    source.answer = () => Promise.resolve(result(7, 8, 9));
    await tick(LIFE);
    expect(first.every((e) => e.retired)).toBe(true);
    expect(sub.endpoints.map((e) => e.host)).toEqual(['203.0.113.7', '203.0.113.8', '203.0.113.9']);
  });

  it('keeps a non-default sub-pool stocked only while it is asked for', async () => {
    const { clock, pool, source, tick } = setup();
    const us = pool.subPoolFor({ cc: 'us' });
    await tick();
    expect(source.queries.filter((q) => q.cc === 'us')).toHaveLength(1);
    clock.advance(60_001);
    pool.defaultPool.ingest([parsed(10), parsed(11), parsed(12)], clock.now(), LIFE);
    await tick();
    expect(source.queries.filter((q) => q.cc === 'us')).toHaveLength(1);
    expect(us.usableAt(clock.now())).toBe(0);
  });
});

describe('Refresher logging', () => {
  it('logs the change to failing once, and the recovery once', async () => {
    const { clock, source, refresher, sub, lines } = setup();
    source.answer = fail();
    for (let i = 0; i < 4; i++) {
      await refresher.demand(sub);
      clock.advance(10_000);
    }
    source.answer = () => Promise.resolve(result(1));
    await refresher.demand(sub);
    clock.advance(10_000);
    await refresher.demand(sub);

    const failing = lines.filter((l) => l.msg.startsWith('extraction failing'));
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ level: 40, component: 'refresh', code: 'provider_http', pool: sub.key });
    expect(lines.filter((l) => l.msg === 'extraction still failing')).toHaveLength(3);
    const recovered = lines.filter((l) => l.msg === 'extraction recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ level: 30, pool: sub.key });
  });

  it('logs failing again after a recovery', async () => {
    const { clock, source, refresher, sub, lines } = setup();
    source.answer = fail();
    await refresher.demand(sub);
    clock.advance(10_000);
    source.answer = () => Promise.resolve(result(1));
    await refresher.demand(sub);
    source.answer = fail();
    clock.advance(10_000);
    await refresher.demand(sub);
    expect(lines.filter((l) => l.msg.startsWith('extraction failing'))).toHaveLength(2);
  });
});

describe('Refresher.stop', () => {
  it('settles demands without calling the source afterwards', async () => {
    const { source, refresher, sub } = setup();
    refresher.stop();
    await refresher.demand(sub);
    expect(source.calls).toBe(0);
    expect(refresher.lastFailure(sub)).toBeUndefined();
  });

  it('abandons an in-flight call without recording a failure', async () => {
    const { source, refresher, sub } = setup();
    let rejectCall!: (err: unknown) => void;
    source.answer = () => new Promise((_resolve, reject) => (rejectCall = reject));
    const pending = refresher.demand(sub);
    await flush();
    refresher.stop();
    rejectCall(new SwivelError('provider_unreachable', 'aborted'));
    await pending;
    expect(refresher.lastFailure(sub)).toBeUndefined();
  });
});
