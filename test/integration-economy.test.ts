/**
 * Extraction economy through real sockets: demand-driven sizing under steady and idle load, and
 * `--state-file` across a restart, against the simulated provider (which counts every call). Time
 * moves by a ManualClock; requests are real HTTP through swivel to the echo target.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwivelApp } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import type { RawFlags } from '../src/config/load.js';
import type { Simulation } from '../src/sim/index.js';
import { decodeState, encodeState } from '../src/state/format.js';
import { ipOf, proxyGet } from './helpers/http-client.js';
import { createLogSink, type LogSink } from './helpers/log-sink.js';
import { advanceSettled, configFor, startSim, stopAll } from './helpers/swivel.js';

const apps: SwivelApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const app of apps.splice(0).reverse()) await app.stop();
  await stopAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'swivel-economy-'));
  dirs.push(d);
  return d;
}

/** A SwivelApp on an existing sim (so a second one can restart against the same provider). */
async function startOn(sim: Simulation, flags: RawFlags, clock: ManualClock): Promise<{ app: SwivelApp; logs: LogSink; port: number }> {
  const logs = createLogSink();
  const app = new SwivelApp(configFor(sim, flags), { logger: logs.logger, clock, adminEphemeral: true });
  apps.push(app);
  await app.start();
  return { app, logs, port: app.http.port };
}

async function ip(port: number, sim: Simulation, username?: string): Promise<string> {
  const reply = await proxyGet(port, `${sim.target.url}/ip`, username === undefined ? {} : { username });
  expect(reply.status).toBe(200);
  return ipOf(reply);
}

describe('demand-driven extraction', () => {
  /**
   * One request every 4 s for six lifetimes of 1 min: 15 picks per lifetime, so demand sizing
   * (round-robin coverage 2) targets 8 endpoints, where fixed sizing keeps asking for 20. Returns
   * the utilization of the lifetimes after the first (the cold start asks --num either way).
   */
  async function steady(sizing: 'demand' | 'fixed') {
    const sim = await startSim({ upstreams: 60 });
    const clock = new ManualClock();
    const { app, port } = await startOn(sim, { num: 20, life: 1, 'pool-min': 2, 'extract-sizing': sizing }, clock);
    const LIFETIMES = 6;
    let warm = app.stats().extraction;
    for (let t = 0; t < LIFETIMES * 60_000; t += 4_000) {
      if (t === 60_000) warm = app.stats().extraction;
      await ip(port, sim);
      await advanceSettled(clock, app, 4_000);
    }
    const x = app.stats().extraction;
    const used = x.used - warm.used;
    const wasted = x.wasted - warm.wasted;
    return { app, sim, x, used, wasted, steadyUtilization: used / (used + wasted), LIFETIMES };
  }

  it('under steady rotation for six lifetimes, ≥ 95 % of extracted endpoints carry traffic, about one call per lifetime', async () => {
    const { app, sim, x, used, wasted, steadyUtilization, LIFETIMES } = await steady('demand');
    expect(used + wasted).toBeGreaterThan(30);
    expect(steadyUtilization).toBeGreaterThanOrEqual(0.95);
    expect(x.utilization).not.toBeNull();
    // Cold start asks for --num; once measured, each extraction asks what demand lacks.
    const asked = sim.provider.calls.map((c) => c.num ?? 0);
    expect(asked[0]).toBe(20);
    expect(Math.max(...asked.slice(1))).toBeLessThanOrEqual(9);
    expect(sim.provider.callCount).toBeLessThanOrEqual(LIFETIMES + 2);
    expect(app.stats().pools[0]!.target).toBe(8);
    // The same figures on /metrics.
    const metrics = await (await fetch(`${app.admin!.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^swivel_endpoints_used_total ${x.used}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^swivel_endpoint_utilization_ratio ${x.utilization!.toString().slice(0, 6)}`, 'm'));
    expect(metrics).toMatch(/^swivel_pool_target_endpoints\{pool="\*\/\*\/\*\/\*"\} 8$/m);
  });

  it('the same load with --extract-sizing fixed wastes over a third of what it extracts', async () => {
    const { steadyUtilization } = await steady('fixed');
    expect(steadyUtilization).toBeLessThan(0.9);
  });

  it('keeps an idle default sub-pool at the floor and stops extracting for an idle geo', async () => {
    const sim = await startSim({ upstreams: 12 });
    const clock = new ManualClock();
    const { app, port } = await startOn(sim, { num: 10, life: 1, 'pool-min': 2 }, clock);
    await ip(port, sim, 'country-de');
    await advanceSettled(clock, app, 5 * 60_000);
    const calls = sim.provider.calls;
    const defaults = calls.filter((c) => c.cc === undefined);
    const de = calls.filter((c) => c.cc === 'de');
    // Cold start: --num once; from then on only the floor, about once per lifetime.
    expect(defaults[0]!.num).toBe(10);
    expect(defaults.slice(1).map((c) => c.num)).toEqual(defaults.slice(1).map(() => 2));
    expect(defaults.length).toBeLessThanOrEqual(7);
    // The de sub-pool: its cold call, at most one floor-sized refresh while still "active", then nothing.
    expect(de[0]!.num).toBe(10);
    expect(de.length).toBeLessThanOrEqual(2);
    for (const c of de.slice(1)) expect(c.num).toBe(2);
    const p = app.stats().pools.find((s) => s.isDefault)!;
    expect(p.target).toBe(2);
    expect(p.picksPerLifetime).toBe(0);
  });
  it('meets a cold burst with one extraction: 30 concurrent requests for a new geo wait on a single call', async () => {
    const sim = await startSim({ upstreams: 12 });
    const clock = new ManualClock();
    const { port } = await startOn(sim, { num: 10, life: 1, 'pool-min': 2 }, clock);
    const replies = await Promise.all(Array.from({ length: 30 }, () => proxyGet(port, `${sim.target.url}/ip`, { username: 'country-gb' })));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(sim.provider.calls.filter((c) => c.cc === 'gb')).toHaveLength(1);
    // The burst rotated over what that one call brought (the 4 gb upstreams).
    expect(new Set(replies.map(ipOf)).size).toBe(4);
  });
});

describe('--state-file', () => {
  it('a restart within the lifetime makes no extraction call and keeps session IPs; the file is 0600', async () => {
    const sim = await startSim({ upstreams: 8 });
    const path = join(tempDir(), 'state.json');
    const flags = { num: 6, life: 5, 'state-file': path };
    const clockA = new ManualClock();
    const a = await startOn(sim, flags, clockA);
    const ipA = await ip(a.port, sim, 'session-a');
    const ipB = await ip(a.port, sim, 'session-b');
    expect(ipA).not.toBe(ipB);
    // Written every minute on the clock, not only at stop.
    await advanceSettled(clockA, a.app, 60_000);
    await a.app.state!.settled();
    expect(a.app.state!.saves).toBe(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await a.app.stop();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const saved = decodeState(readFileSync(path, 'utf8'), a.app.source.name);
    expect(saved.ok).toBe(true);

    sim.provider.resetCalls();
    const clockB = new ManualClock(clockA.now() + 10_000);
    const b = await startOn(sim, flags, clockB);
    expect(sim.provider.callCount).toBe(0);
    expect(b.app.pool.defaultPool.usableAt(clockB.now())).toBe(6);
    expect(await ip(b.port, sim, 'session-a')).toBe(ipA);
    expect(await ip(b.port, sim, 'session-b')).toBe(ipB);
    expect(b.logs.find('state restored')).toEqual([expect.objectContaining({ endpoints: 6, sessions: 2, skipped: 0 })]);
    // A while later, still within the restored lifetimes: the refresher has no reason to call.
    await advanceSettled(clockB, b.app, 30_000);
    expect(sim.provider.callCount).toBe(0);
  });

  it.each([
    ['corrupt', () => 'not json {'],
    ['foreign', () => '{"hello":"world"}'],
    [
      'for another source',
      () =>
        encodeState({ format: 'swivel-state', version: 1, savedAt: 0, source: 'api http://elsewhere/gateway', pools: [], sessions: [] }),
    ],
  ])('a %s file is one warning line, then a normal start', async (_kind, text) => {
    const sim = await startSim({ upstreams: 4 });
    const path = join(tempDir(), 'state.json');
    writeFileSync(path, text(), { mode: 0o600 });
    const { app, logs } = await startOn(sim, { num: 4, 'state-file': path }, new ManualClock());
    const stateLines = logs.records.filter((r) => r['component'] === 'state');
    expect(stateLines).toHaveLength(1);
    expect(stateLines[0]).toMatchObject({ level: 40, msg: 'state file ignored; starting without it' });
    expect(sim.provider.callCount).toBe(1);
    expect(app.pool.defaultPool.usableAt(app.pool.now)).toBe(4);
  });

  it('never loads an expired endpoint, nor a session bound to one', async () => {
    const sim = await startSim({ upstreams: 6 });
    const path = join(tempDir(), 'state.json');
    const flags = { num: 6, life: 5, 'state-file': path, 'pool-min': 1 };
    const clockA = new ManualClock();
    const a = await startOn(sim, flags, clockA);
    const ipS = await ip(a.port, sim, 'session-s');
    await a.app.stop();
    // Make the endpoint the session is on (and only it) expire before the restart.
    const doc = decodeState(readFileSync(path, 'utf8'), a.app.source.name);
    if (!doc.ok) throw new Error(doc.reason);
    const bound = doc.state.sessions[0]!.endpoint;
    for (const p of doc.state.pools) for (const e of p.endpoints) if (`${e.host}:${e.port}` === bound) e.expiresAt = clockA.now() + 1_000;
    writeFileSync(path, encodeState(doc.state));

    sim.provider.resetCalls();
    const clockB = new ManualClock(clockA.now() + 2_000);
    const b = await startOn(sim, flags, clockB);
    expect(sim.provider.callCount).toBe(0);
    const ids = b.app.pool.defaultPool.endpoints.map((e) => e.id);
    expect(ids).toHaveLength(5);
    expect(ids).not.toContain(bound);
    expect(b.logs.find('state restored')).toEqual([expect.objectContaining({ endpoints: 5, sessions: 0, skipped: 2 })]);
    // The session is re-bound to a live endpoint.
    expect(await ip(b.port, sim, 'session-s')).not.toBe(ipS);
  });
});
