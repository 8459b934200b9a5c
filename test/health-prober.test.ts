import net from 'node:net';
import { describe, it, expect } from 'vitest';
import { SwivelError } from '../src/errors.js';
import { PassiveHealth } from '../src/health/passive.js';
import { Prober, type ProberOptions } from '../src/health/prober.js';
import type { Endpoint } from '../src/pool/endpoint.js';
import type { Tunnel } from '../src/upstream/types.js';
import { stockedPool } from './helpers/pool.js';

const PROBE_IDLE = 120_000;
const EJECT_BASE = 30_000;
const LIFE = 3_600_000;

interface Call {
  endpoint: Endpoint;
  host: string;
  port: number;
}

/** A stand-in for openHttpTunnel: records calls and succeeds unless the endpoint is in `failing`. */
function fakeTunnels() {
  const calls: Call[] = [];
  const failing = new Set<Endpoint>();
  const sockets: net.Socket[] = [];
  const openTunnel = (endpoint: Endpoint, host: string, port: number): Promise<Tunnel> => {
    calls.push({ endpoint, host, port });
    if (failing.has(endpoint)) {
      return Promise.reject(new SwivelError('upstream_connect_failed', 'could not connect to upstream proxy'));
    }
    const socket = new net.Socket();
    sockets.push(socket);
    return Promise.resolve({ socket, head: Buffer.alloc(0) });
  };
  return { calls, failing, sockets, openTunnel };
}

function setup(options: Partial<ProberOptions> = {}, size = 4) {
  const { clock, pool, endpoints } = stockedPool(size, LIFE);
  const health = new PassiveHealth({ pool, clock, maxFailures: 3, ejectBaseMs: EJECT_BASE, ejectMaxMs: 600_000 });
  const tunnels = fakeTunnels();
  const prober = new Prober({
    pool,
    health,
    clock,
    openTunnel: tunnels.openTunnel,
    probeUrl: 'http://probe.example:8081/ok',
    probeIdleMs: PROBE_IDLE,
    concurrency: 2,
    ...options,
  });
  return { clock, pool, health, prober, ...tunnels, endpoints };
}

describe('Prober: ejected endpoints', () => {
  it('probes an ejected endpoint once its back-off has ended, and readmits it on success', async () => {
    const { clock, health, prober, calls, sockets, endpoints } = setup();
    const e = endpoints[0]!;
    health.eject(e, 'test');
    clock.advance(EJECT_BASE - 1);
    await prober.tick();
    expect(calls).toHaveLength(0);
    expect(e.health).toBe('ejected');

    clock.advance(1);
    await prober.tick();
    expect(calls).toEqual([{ endpoint: e, host: 'probe.example', port: 8081 }]);
    expect(e.health).toBe('healthy');
    expect(e.lastProbedAt).toBe(clock.now());
    expect(prober.probes).toBe(1);
    expect(sockets[0]!.destroyed).toBe(true);
  });

  it('re-ejects with a longer back-off when the probe fails', async () => {
    const { clock, health, prober, failing, endpoints } = setup();
    const e = endpoints[0]!;
    health.eject(e, 'test');
    failing.add(e);
    clock.advance(EJECT_BASE);
    await prober.tick();
    expect(e.health).toBe('ejected');
    expect(e.ejections).toBe(2);
    expect(e.ejectedUntil).toBe(clock.now() + 2 * EJECT_BASE);

    clock.advance(2 * EJECT_BASE - 1);
    await prober.tick();
    expect(prober.probes).toBe(1);
    clock.advance(1);
    await prober.tick();
    expect(prober.probes).toBe(2);
    expect(e.ejectedUntil).toBe(clock.now() + 4 * EJECT_BASE);
  });
});

describe('Prober: idle endpoints', () => {
  it('does not probe new endpoints', async () => {
    const { clock, prober, calls } = setup();
    await prober.tick();
    clock.advance(PROBE_IDLE - 1);
    await prober.tick();
    expect(calls).toHaveLength(0);
  });

  it('probes endpoints idle for probeIdleMs, then not again until idle again', async () => {
    const { clock, prober, calls, endpoints } = setup();
    clock.advance(PROBE_IDLE);
    await prober.tick();
    expect(calls.map((c) => c.endpoint)).toEqual(endpoints);
    expect(endpoints.every((e) => e.health === 'healthy')).toBe(true);
    clock.advance(PROBE_IDLE - 1);
    await prober.tick();
    expect(calls).toHaveLength(endpoints.length);
    clock.advance(1);
    await prober.tick();
    expect(calls).toHaveLength(2 * endpoints.length);
  });

  it('counts use as activity: a recently used endpoint is not probed', async () => {
    const { clock, prober, calls, endpoints } = setup();
    clock.advance(PROBE_IDLE - 10);
    endpoints[0]!.lastUsedAt = clock.now();
    clock.advance(10);
    await prober.tick();
    expect(calls.map((c) => c.endpoint)).not.toContain(endpoints[0]);
    expect(calls).toHaveLength(endpoints.length - 1);
  });

  it('reports a failed idle probe as passive evidence', async () => {
    const { clock, prober, failing, endpoints } = setup({}, 4);
    const e = endpoints[0]!;
    failing.add(e);
    for (let i = 0; i < 3; i++) {
      clock.advance(PROBE_IDLE);
      await prober.tick();
    }
    expect(e.health).toBe('ejected');
    expect(endpoints.slice(1).every((x) => x.health === 'healthy')).toBe(true);
  });

  it('skips expired and retired endpoints', async () => {
    const { clock, prober, calls, endpoints } = setup();
    endpoints[0]!.expiresAt = clock.now() + PROBE_IDLE;
    endpoints[1]!.retired = true;
    clock.advance(PROBE_IDLE);
    await prober.tick();
    expect(calls.map((c) => c.endpoint)).toEqual(endpoints.slice(2));
  });
});

describe('Prober: probe target', () => {
  it('without a target, readmits ejected endpoints when their back-off ends and probes nothing', async () => {
    const { clock, health, prober, calls, endpoints } = setup({ probeUrl: undefined });
    const e = endpoints[0]!;
    health.eject(e, 'test');
    clock.advance(EJECT_BASE - 1);
    await prober.tick();
    expect(e.health).toBe('ejected');
    clock.advance(1);
    await prober.tick();
    expect(e.health).toBe('healthy');
    clock.advance(PROBE_IDLE);
    await prober.tick();
    expect(calls).toHaveLength(0);
  });

  it('noteTarget gives it a target to probe', async () => {
    const { clock, prober, calls, endpoints } = setup({ probeUrl: undefined });
    prober.noteTarget('example.com', 443);
    prober.noteTarget('example.org', 8443);
    clock.advance(PROBE_IDLE);
    await prober.tick();
    expect(calls).toHaveLength(endpoints.length);
    expect(calls.every((c) => c.host === 'example.org' && c.port === 8443)).toBe(true);
  });

  it('prefers --probe-url over a noted target', async () => {
    const { clock, prober, calls } = setup();
    prober.noteTarget('example.com', 443);
    clock.advance(PROBE_IDLE);
    await prober.tick();
    expect(calls.every((c) => c.host === 'probe.example' && c.port === 8081)).toBe(true);
  });

  it('reads port 80 by default and strips IPv6 brackets from the probe URL', async () => {
    const { clock, prober, calls } = setup({ probeUrl: 'http://[2001:db8::1]/health' }, 1);
    clock.advance(PROBE_IDLE);
    await prober.tick();
    expect(calls.map((c) => [c.host, c.port])).toEqual([['2001:db8::1', 80]]);
  });
});
