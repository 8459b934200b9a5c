/** Pool state changes go through methods that bump counters and emit typed events. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { PassiveHealth } from '../src/health/passive.js';
import { Emitter, type PoolEvent } from '../src/pool/events.js';
import { EndpointPool } from '../src/pool/pool.js';
import { SwivelError } from '../src/errors.js';

function setup(): { pool: EndpointPool; clock: ManualClock; events: PoolEvent[] } {
  const clock = new ManualClock();
  const pool = new EndpointPool({
    defaultGeo: {},
    rotate: 'round-robin',
    sessionTtlMs: 60_000,
    sessionMax: 100,
    acquireTimeoutMs: 100,
    idleDropMs: 600_000,
    clock,
  });
  const events: PoolEvent[] = [];
  pool.events.on((e) => events.push(e));
  return { pool, clock, events };
}

const parsed = (n: number) => Array.from({ length: n }, (_, i) => ({ host: `198.51.100.${i + 1}`, port: 8000 }));

describe('pool events and counters', () => {
  it('extraction, session binding, ejection, readmission and expiry (wasted when never used)', () => {
    const { pool, clock, events } = setup();
    const sub = pool.defaultPool;
    pool.ingest(sub, parsed(3), clock.now(), 10_000);
    pool.ingest(sub, parsed(2), clock.now(), 10_000);
    expect(pool.counters).toMatchObject({ extracted: 3, renewed: 2 });

    const first = pool.select(sub, 'a')!;
    pool.select(sub, 'a');
    expect(pool.counters.sessionsCreated).toBe(1);
    const health = new PassiveHealth({ pool, clock, maxFailures: 1 });
    health.failure(first, new SwivelError('upstream_connect_failed', 'refused'));
    expect(first.health).toBe('ejected');
    expect(pool.select(sub, 'a')).not.toBe(first);
    expect(pool.counters).toMatchObject({ ejected: 1, sessionsRebound: 1 });
    health.readmit(first, 'probe succeeded');
    expect(pool.counters.readmitted).toBe(1);

    clock.advance(10_000);
    expect(pool.pruneExpired(clock.now())).toBe(3);
    // `first` and the re-bound one carried traffic; the third never did.
    expect(pool.counters).toMatchObject({ expired: 3, wasted: 1 });
    expect(events.map((e) => e.type)).toEqual([
      'extracted',
      'extracted',
      'session-bound',
      'ejected',
      'session-bound',
      'readmitted',
      'expired',
      'expired',
      'expired',
    ]);
    expect(events.filter((e) => e.type === 'expired' && e.wasted).length).toBe(1);
  });

  it('builds no event object when nobody listens', () => {
    const emitter = new Emitter<PoolEvent>();
    expect(emitter.listening).toBe(false);
    const seen: string[] = [];
    const off = emitter.on((e) => seen.push(e.type));
    expect(emitter.listening).toBe(true);
    emitter.emit({ type: 'session-bound', pool: 'k', rebound: false });
    off();
    expect(emitter.listening).toBe(false);
    expect(seen).toEqual(['session-bound']);
  });
});
