import { describe, expect, it } from 'vitest';
import { Endpoint } from '../src/pool/endpoint.js';
import { EndpointIndex } from '../src/pool/endpoint-index.js';
import { rng } from './helpers/rng.js';

function ep(host: string, port: number): Endpoint {
  return new Endpoint({ host, port }, 'k', 0, 1e15);
}

describe('EndpointIndex', () => {
  it('finds IPv4, name and IPv6 endpoints by address and by id', () => {
    const index = new EndpointIndex();
    const v4 = ep('203.0.113.7', 8080);
    const name = ep('proxy.example.com', 3128);
    const v6 = ep('2001:db8::1', 1080);
    for (const e of [v4, name, v6]) index.set(e);
    expect(index.get('203.0.113.7', 8080)).toBe(v4);
    expect(index.get('203.0.113.7', 8081)).toBeUndefined();
    expect(index.get('proxy.example.com', 3128)).toBe(name);
    expect(index.get('2001:db8::1', 1080)).toBe(v6);
    expect(index.getById('203.0.113.7:8080')).toBe(v4);
    expect(index.getById('203.0.113.7:08080')).toBeUndefined();
    expect(index.getById('proxy.example.com:3128')).toBe(name);
    expect(index.getById('[2001:db8::1]:1080')).toBe(v6);
    expect(index.size).toBe(3);
  });

  it('keys a leading-zero spelling by its text, apart from the canonical address', () => {
    const index = new EndpointIndex();
    const odd = ep('010.0.0.1', 80);
    index.set(odd);
    expect(index.get('10.0.0.1', 80)).toBeUndefined();
    expect(index.get('010.0.0.1', 80)).toBe(odd);
  });

  it('deletes only the endpoint indexed under the address', () => {
    const index = new EndpointIndex();
    const old = ep('203.0.113.1', 1);
    const fresh = ep('203.0.113.1', 1);
    index.set(old);
    index.set(fresh);
    index.delete(old);
    expect(index.get('203.0.113.1', 1)).toBe(fresh);
    index.delete(fresh);
    expect(index.get('203.0.113.1', 1)).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it('agrees with a Map through random inserts and deletes across growth (probe chains stay intact)', () => {
    const index = new EndpointIndex();
    const reference = new Map<string, Endpoint>();
    const random = rng(12345);
    // Few distinct addresses and ports, so keys collide and probe runs wrap around the table.
    for (let step = 0; step < 20_000; step++) {
      const host = `198.51.100.${Math.floor(random() * 40)}`;
      const port = 1 + Math.floor(random() * 60);
      const key = `${host}:${port}`;
      if (random() < 0.6) {
        const e = ep(host, port);
        index.set(e);
        reference.set(key, e);
      } else {
        const e = reference.get(key);
        if (e !== undefined) {
          index.delete(e);
          reference.delete(key);
        }
      }
      if (step % 997 === 0) index.reserve(Math.floor(random() * 500));
    }
    expect(index.size).toBe(reference.size);
    for (let a = 0; a < 40; a++) {
      for (let p = 1; p <= 60; p++) {
        const host = `198.51.100.${a}`;
        expect(index.get(host, p)).toBe(reference.get(`${host}:${p}`));
      }
    }
  });

  it('clear forgets everything', () => {
    const index = new EndpointIndex();
    index.set(ep('203.0.113.1', 1));
    index.set(ep('proxy.example.com', 1));
    index.clear();
    expect(index.size).toBe(0);
    expect(index.get('203.0.113.1', 1)).toBeUndefined();
  });
});
