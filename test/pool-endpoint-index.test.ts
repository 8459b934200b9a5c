// EndpointIndex maps an address to a store slot (pool/endpoint-index.ts): IPv4 by numeric key,
// names and IPv6 by id. The id-level lookups (byEndpointId) are in test/columnar-store.test.ts.
import { describe, expect, it } from 'vitest';
import { EndpointIndex } from '../src/pool/endpoint-index.js';
import { ipv4Number } from '../src/protocol/ip.js';
import { rng } from './helpers/rng.js';

function key(host: string, port: number): number {
  return ipv4Number(host) * 65536 + port;
}

/** The store columns the table reads its keys from; `put` writes slot `value`'s key there first. */
function columns(size = 32): { addr: Uint32Array; port: Uint16Array } {
  return { addr: new Uint32Array(size), port: new Uint16Array(size) };
}

function put(index: EndpointIndex, cols: { addr: Uint32Array; port: Uint16Array }, k: number, value: number): void {
  cols.addr[value] = Math.floor(k / 65536);
  cols.port[value] = k % 65536;
  index.setKey(k, value);
}

describe('EndpointIndex', () => {
  it('finds IPv4 slots by key and name or IPv6 slots by id', () => {
    const cols = columns(20_000);
    const index = new EndpointIndex(cols);
    put(index, cols, key('203.0.113.7', 8080), 0);
    index.setName('proxy.example.com:3128', 1);
    index.setName('[2001:db8::1]:1080', 2);
    expect(index.getKey(key('203.0.113.7', 8080))).toBe(0);
    expect(index.getKey(key('203.0.113.7', 8081))).toBe(-1);
    expect(index.getName('proxy.example.com:3128')).toBe(1);
    expect(index.getName('[2001:db8::1]:1080')).toBe(2);
    expect(index.getName('203.0.113.7:8080')).toBe(-1);
    expect(index.size).toBe(3);
  });

  it('slot 0 is a value like any other, address 0 a key like any other', () => {
    const cols = columns(20_000);
    const index = new EndpointIndex(cols);
    put(index, cols, key('0.0.0.0', 1), 0);
    expect(index.getKey(key('0.0.0.0', 1))).toBe(0);
    expect(index.getKey(key('0.0.0.0', 2))).toBe(-1);
  });

  it('deletes only the slot indexed under the address', () => {
    const cols = columns(20_000);
    const index = new EndpointIndex(cols);
    const k = key('203.0.113.1', 1);
    put(index, cols, k, 4);
    put(index, cols, k, 9); // a fresh endpoint took the address
    index.deleteKey(k, 4);
    expect(index.getKey(k)).toBe(9);
    index.deleteKey(k, 9);
    expect(index.getKey(k)).toBe(-1);
    index.setName('a.example:1', 3);
    index.deleteName('a.example:1', 2);
    expect(index.getName('a.example:1')).toBe(3);
    index.deleteName('a.example:1', 3);
    expect(index.size).toBe(0);
  });

  it('agrees with a Map through random inserts and deletes across growth (probe chains stay intact)', () => {
    const cols = columns(20_000);
    const index = new EndpointIndex(cols);
    const reference = new Map<number, number>();
    const random = rng(12345);
    // Few distinct addresses and ports, so keys collide and probe runs wrap around the table.
    for (let step = 0; step < 20_000; step++) {
      const k = key(`198.51.100.${Math.floor(random() * 40)}`, 1 + Math.floor(random() * 60));
      if (random() < 0.6) {
        put(index, cols, k, step);
        reference.set(k, step);
      } else {
        const v = reference.get(k);
        if (v !== undefined) {
          index.deleteKey(k, v);
          reference.delete(k);
        }
      }
      if (step % 997 === 0) index.reserve(Math.floor(random() * 500));
    }
    expect(index.size).toBe(reference.size);
    for (let a = 0; a < 40; a++) {
      for (let p = 1; p <= 60; p++) {
        const k = key(`198.51.100.${a}`, p);
        expect(index.getKey(k)).toBe(reference.get(k) ?? -1);
      }
    }
  });

  it('remap moves every value, keys unchanged', () => {
    const cols = columns(20_000);
    const index = new EndpointIndex(cols);
    put(index, cols, key('203.0.113.1', 1), 2);
    index.setName('a.example:1', 5);
    const remap = Int32Array.from([0, 0, 1, 0, 0, 3]);
    // As EndpointStore.compact does: the slot's columns move with it before the index follows.
    cols.addr[1] = cols.addr[2]!;
    cols.port[1] = cols.port[2]!;
    index.remap(remap);
    expect(index.getKey(key('203.0.113.1', 1))).toBe(1);
    expect(index.getName('a.example:1')).toBe(3);
  });

  it('clear forgets everything', () => {
    const cols = columns(20_000);
    const index = new EndpointIndex(cols);
    put(index, cols, key('203.0.113.1', 1), 0);
    index.setName('proxy.example.com:1', 1);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.getKey(key('203.0.113.1', 1))).toBe(-1);
  });
});
