// The column store (issue 12): a sub-pool keeps endpoints as slots in typed arrays and builds an
// Endpoint object only when one is handed out or asked for. These tests pin what that must not
// change (order, counts, renewal, prune, ids) and that the objects really are not built.
import { describe, expect, it } from 'vitest';
import { Endpoint, endpointState } from '../src/pool/endpoint.js';
import { EndpointStore } from '../src/pool/endpoint-store.js';
import { createAddressFilter } from '../src/pool/address-filter.js';
import { filterBatchInSlices, filterInSlices } from '../src/pool/ingest.js';
import { SubPool } from '../src/pool/sub-pool.js';
import { createStrategy } from '../src/pool/strategies/index.js';
import type { RotateStrategy } from '../src/config/types.js';
import { EndpointBatch, ipv4PortKey } from '../src/provider/batch.js';
import { parseEndpointEntry, parseExtractionBody } from '../src/provider/parse.js';
import type { ParsedEndpoint } from '../src/provider/types.js';
import { rng } from './helpers/rng.js';

const T0 = 1_700_000_000_000;
const LIFE = 60_000;

function subPool(rotate: RotateStrategy = 'round-robin'): SubPool {
  return new SubPool('k', {}, true, createStrategy(rotate, rng(7)), T0, rng(8));
}

function batchOf(entries: readonly ParsedEndpoint[]): EndpointBatch {
  const b = new EndpointBatch();
  for (const e of entries) b.push(e);
  return b;
}

function v4(n: number, port = 8000): ParsedEndpoint {
  return { host: `203.0.${113 + (n >> 8)}.${n & 255}`, port };
}

/** Objects the sub-pool has built so far (reads the store without building any). */
function built(sub: SubPool): number {
  const store = (sub as unknown as { store: EndpointStore }).store;
  let n = 0;
  for (let s = 0; s < store.length; s++) if (store.objectAt(s) !== undefined) n++;
  return n;
}

describe('column store: objects only when needed', () => {
  it('an ingest builds no Endpoint object; counting reads the columns; a pick builds one', () => {
    const sub = subPool();
    const r = sub.ingestBatch(batchOf(Array.from({ length: 1000 }, (_, i) => v4(i))), T0, LIFE);
    expect(r).toEqual({ added: 1000, renewed: 0 });
    expect(built(sub)).toBe(0);
    expect(sub.size).toBe(1000);
    expect(sub.usableAt(T0)).toBe(1000);
    expect(sub.usableAt(T0 + LIFE)).toBe(0);
    expect(sub.soonestExpiry(T0)).toBe(T0 + LIFE);
    expect(sub.countStates(T0)).toEqual({ usable: 1000, ejected: 0, expired: 0 });
    expect(sub.ejectedCount()).toBe(0);
    let seen = 0;
    sub.forEach((view) => {
      if (view.uses === 0 && view.health === 'unknown' && endpointState(view, T0) === 'usable') seen++;
    });
    expect(seen).toBe(1000);
    expect(built(sub)).toBe(0);
    const e = sub.select(T0, undefined);
    expect(e?.id).toBe('203.0.113.0:8000');
    expect(built(sub)).toBe(1);
    expect(sub.select(T0, undefined)?.id).toBe('203.0.113.1:8000');
    expect(built(sub)).toBe(2);
    // The same object for the same slot every time.
    expect(sub.byEndpointId('203.0.113.0:8000')).toBe(e);
  });

  it('an object reads and writes the columns: counts see a change made through it', () => {
    const sub = subPool();
    sub.ingestBatch(batchOf([v4(1), v4(2), v4(3)]), T0, LIFE);
    const e = sub.byEndpointId('203.0.113.2:8000')!;
    e.health = 'ejected';
    expect(sub.countStates(T0)).toEqual({ usable: 2, ejected: 1, expired: 0 });
    e.expiresAt = T0 + 10;
    expect(sub.countStates(T0 + 10)).toEqual({ usable: 2, ejected: 0, expired: 1 });
    e.uses = 5;
    let uses = -1;
    sub.forEach((view) => {
      if (view.id === e.id) uses = view.uses;
    });
    expect(uses).toBe(5);
  });

  it('renews by address whether the entry came as a column or as an object', () => {
    const sub = subPool();
    sub.ingestBatch(batchOf([v4(1), { host: 'proxy.example.com', port: 3128 }]), T0, LIFE);
    const r = sub.ingest([v4(1), { host: 'proxy.example.com', port: 3128 }, { ...v4(1), username: 'u', password: 'p' }], T0 + 5, LIFE);
    expect(r).toEqual({ added: 0, renewed: 3 });
    expect(sub.soonestExpiry(T0)).toBe(T0 + 5 + LIFE);
    expect(built(sub)).toBe(0);
  });

  it('the all-IPv4 column path hands out exactly what the per-entry path does (dups, expired renewals, retired)', () => {
    for (const rotate of ['round-robin', 'least-used', 'random'] as const) {
      const random = rng(99);
      const viaColumns = subPool(rotate);
      const viaObjects = subPool(rotate);
      let now = T0;
      const picks: Array<[string | undefined, string | undefined]> = [];
      for (let round = 0; round < 6; round++) {
        // Overlapping batches with repeats inside each, so renewals, in-batch duplicates and fresh slots mix.
        const entries: ParsedEndpoint[] = [];
        for (let i = 0; i < 300; i++) entries.push(v4(Math.floor(random() * 400), 8000 + Math.floor(random() * 2)));
        const a = viaColumns.ingestBatch(batchOf(entries), now, LIFE, 0, entries.length);
        const b = viaObjects.ingest(entries, now, LIFE);
        expect(a).toEqual(b);
        for (let k = 0; k < 200; k++) {
          const x = viaColumns.select(now, undefined);
          const y = viaObjects.select(now, undefined);
          picks.push([x?.id, y?.id]);
          if (x !== undefined) x.uses++;
          if (y !== undefined) y.uses++;
          if (x !== undefined) viaColumns.noteUse(x);
          if (y !== undefined) viaObjects.noteUse(y);
          // Some expire early (found by a pick, then renewed by the next batch), some retired directly.
          if (k % 17 === 0 && x !== undefined && y !== undefined) {
            x.expiresAt = now + 1;
            y.expiresAt = now + 1;
          }
          if (k % 53 === 0 && x !== undefined && y !== undefined) {
            x.retired = true;
            y.retired = true;
          }
        }
        now += LIFE / 4;
      }
      for (const [x, y] of picks) expect(x).toBe(y);
      expect(viaColumns.endpoints.map((e) => e.id)).toEqual(viaObjects.endpoints.map((e) => e.id));
    }
  });

  it('keeps credentials, names and IPv6 hosts, and their ids', () => {
    const sub = subPool();
    sub.ingest(
      [
        { host: '203.0.113.5', port: 80, username: 'user', password: 'pw' },
        { host: 'proxy.example.com', port: 3128 },
        { host: '2001:db8::1', port: 1080 },
        { host: '010.0.0.1', port: 80 },
      ],
      T0,
      LIFE,
    );
    const [a, b, c, d] = sub.endpoints;
    expect([a!.host, a!.port, a!.username, a!.password]).toEqual(['203.0.113.5', 80, 'user', 'pw']);
    expect(b!.id).toBe('proxy.example.com:3128');
    expect(c!.id).toBe('[2001:db8::1]:1080');
    expect(d!.host).toBe('010.0.0.1');
    expect(sub.byEndpointId('203.0.113.5:80')).toBe(a);
    expect(sub.byEndpointId('203.0.113.5:080')).toBeUndefined();
    expect(sub.byEndpointId('proxy.example.com:3128')).toBe(b);
    expect(sub.byEndpointId('[2001:db8::1]:1080')).toBe(c);
    expect(sub.byEndpointId('010.0.0.1:80')).toBe(d);
    expect(sub.byEndpointId('10.0.0.1:80')).toBeUndefined();
  });
});

describe('column store: prune closes holes', () => {
  it('keeps survivors in order, their objects and counters, and the round-robin position', () => {
    const sub = subPool();
    sub.ingestBatch(batchOf(Array.from({ length: 10 }, (_, i) => v4(i))), T0, LIFE);
    const first = sub.select(T0, undefined)!; // slot 0
    const second = sub.select(T0, undefined)!; // slot 1
    second.uses = 3;
    // Expire the even ones (through objects for two of them, the rest by the columns' clock).
    for (const e of sub.endpoints) if (e.port === 8000 && Number(e.host.split('.')[3]) % 2 === 0) e.expiresAt = T0 + 1;
    const removed = sub.prune(T0 + 1);
    expect(removed.map((e) => e.id)).toEqual([0, 2, 4, 6, 8].map((i) => `203.0.113.${i}:8000`));
    // A removed object left the store with its last values.
    expect(first.retired).toBe(true);
    expect(first.store).toBeUndefined();
    expect(first.expiresAt).toBe(T0 + 1);
    expect(first.uses).toBe(0);
    expect(sub.endpoints.map((e) => e.id)).toEqual([1, 3, 5, 7, 9].map((i) => `203.0.113.${i}:8000`));
    expect(sub.endpoints[0]).toBe(second);
    expect(second.uses).toBe(3);
    // Round-robin went 0, 1; next is 3 (2 is gone).
    expect(sub.select(T0 + 1, undefined)?.id).toBe('203.0.113.3:8000');
    // The index followed the move: a re-extraction renews, a pruned address comes back as new.
    expect(sub.ingest([v4(9), v4(0)], T0 + 2, LIFE)).toEqual({ added: 1, renewed: 1 });
    expect(sub.size).toBe(6);
  });

  it('least-used still hands out the least used after a prune moved the heap entries', () => {
    const sub = subPool('least-used');
    sub.ingestBatch(batchOf(Array.from({ length: 40 }, (_, i) => v4(i))), T0, LIFE);
    for (let i = 0; i < 60; i++) {
      const e = sub.select(T0, undefined)!;
      e.uses++;
      sub.noteUse(e);
    }
    for (const e of sub.endpoints.slice(0, 15)) e.retired = true;
    sub.prune(T0);
    const counts = new Map<string, number>();
    for (let i = 0; i < 250; i++) {
      const e = sub.select(T0, undefined)!;
      expect(e.retired).toBe(false);
      const least = Math.min(...sub.endpoints.map((x) => x.uses));
      expect(e.uses).toBe(least);
      e.uses++;
      sub.noteUse(e);
      counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    }
    expect(counts.size).toBe(25);
  });

  it('a retry pick avoids the endpoints tried, by slot', () => {
    const sub = subPool();
    sub.ingestBatch(batchOf([v4(1), v4(2), v4(3)]), T0, LIFE);
    const a = sub.select(T0, undefined)!;
    const b = sub.select(T0, undefined)!;
    for (let i = 0; i < 20; i++) expect(sub.select(T0, [a, b])?.id).toBe('203.0.113.3:8000');
    // An object from another sub-pool at the same slot is not "tried" here.
    const other = subPool();
    other.ingestBatch(batchOf([v4(1)]), T0, LIFE);
    const foreign = other.select(T0, undefined)!;
    const picks = new Set<string>();
    for (let i = 0; i < 60; i++) picks.add(sub.select(T0, [foreign])!.id);
    expect(picks.size).toBe(3);
  });

  it('clear retires built objects and counts the never-used', () => {
    const sub = subPool();
    sub.ingestBatch(batchOf([v4(1), v4(2), v4(3)]), T0, LIFE);
    const e = sub.select(T0, undefined)!;
    e.uses = 1;
    expect(sub.clear()).toEqual({ removed: 3, wasted: 2 });
    expect(e.retired).toBe(true);
    expect(e.uses).toBe(1);
    expect(sub.size).toBe(0);
    expect(sub.select(T0, undefined)).toBeUndefined();
  });
});

describe('column batch: parse and filter', () => {
  it('the parser fills columns; `endpoints` builds the same objects once and drops the columns', () => {
    const list = [
      ['203.0.113.1:80', '203.0.113.1:81'],
      ['proxy.example.com:3128', ' 203.0.113.2:82 ', '203.0.113.3:83:u:p', 'nope'],
    ];
    const result = parseExtractionBody(JSON.stringify({ code: 0, data: { list } }), 'application/json');
    expect(result.batch?.length).toBe(5);
    expect(result.batch?.other?.filter((e) => e !== undefined).length).toBe(2);
    const objects = result.endpoints;
    expect(result.batch).toBeUndefined();
    expect(result.endpoints).toBe(objects);
    expect(objects).toEqual([
      { host: '203.0.113.1', port: 80 },
      { host: '203.0.113.1', port: 81 },
      { host: 'proxy.example.com', port: 3128 },
      { host: '203.0.113.2', port: 82 },
      { host: '203.0.113.3', port: 83, username: 'u', password: 'p' },
    ]);
    expect(result.malformed).toBe(1);
  });

  it('ipv4PortKey takes only what the entry parser reads as a plain canonical IPv4 endpoint', () => {
    const random = rng(99);
    const alphabet = '0123456789.:0125:.a@ ';
    const samples = [
      '1.2.3.4:80',
      '255.255.255.255:65535',
      '0.0.0.0:1',
      '1.2.3.4:65536',
      '1.2.3.4:0',
      '01.2.3.4:80',
      '1.2.3.4:080',
      '1.2.3:80',
      '1.2.3.4.5:80',
      '1.2.3.4:',
      ':80',
      '256.1.1.1:80',
    ];
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      const n = 1 + Math.floor(random() * 22);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(random() * alphabet.length)];
      samples.push(s);
    }
    for (const s of samples) {
      const key = ipv4PortKey(s, 0, s.length);
      if (key < 0) continue;
      const p = parseEndpointEntry(s);
      expect(p, s).toBeDefined();
      expect(p!.username).toBeUndefined();
      const b = new EndpointBatch();
      b.pushKey(key);
      expect(b.at(0), s).toStrictEqual({ host: p!.host, port: p!.port });
    }
    expect(ipv4PortKey('1.2.3.4:80', 0, 10)).toBe(0x01020304 * 65536 + 80);
  });

  it('filters columns by number with the same verdicts and reasons as by object', async () => {
    const entries: ParsedEndpoint[] = [
      v4(1),
      { host: '10.1.2.3', port: 80 },
      { host: '127.0.0.1', port: 8080 },
      { host: '127.0.0.1', port: 9 },
      { host: '0.0.0.0', port: 8080 },
      { host: '192.168.0.1', port: 80, username: 'u' },
      { host: 'proxy.example.com', port: 3128 },
      { host: '::1', port: 80 },
      { host: '100.64.0.1', port: 1 },
      { host: '169.254.1.1', port: 1 },
      v4(2),
    ];
    for (const allowPrivate of [false, true]) {
      const reject = createAddressFilter({ allowPrivate, ownPorts: [8080] });
      const objects = entries.map((e) => ({ ...e }));
      const reasons: (string | undefined)[] = [];
      const byObject = await filterInSlices(objects, (e) => {
        const r = reject(e);
        reasons.push(r);
        return r;
      });
      const batch = batchOf(entries);
      const columnReasons: (string | undefined)[] = [];
      const v4Reject = Object.assign(
        (e: ParsedEndpoint) => {
          const r = reject(e);
          columnReasons.push(r);
          return r;
        },
        {
          v4: (a: number, p: number) => {
            const r = reject.v4(a, p);
            columnReasons.push(r);
            return r;
          },
        },
      );
      const byColumn = await filterBatchInSlices(batch, v4Reject, { maxEntries: 3, yieldToLoop: () => Promise.resolve() });
      expect(byColumn).toEqual(byObject);
      expect(columnReasons).toEqual(reasons);
      expect(batch.toArray()).toEqual(objects);
    }
  });
});

describe('Endpoint on its own', () => {
  it('keeps expiry, uses, health and retired in its own fields when not in a store', () => {
    const e = new Endpoint({ host: '203.0.113.1', port: 1 }, 'k', T0, T0 + LIFE);
    expect([e.expiresAt, e.uses, e.health, e.retired]).toEqual([T0 + LIFE, 0, 'unknown', false]);
    e.uses = 2;
    e.health = 'healthy';
    e.retired = true;
    expect([e.uses, e.health, e.retired]).toEqual([2, 'healthy', true]);
    e.health = 'ejected';
    expect([e.health, e.retired]).toEqual(['ejected', true]);
  });
});
