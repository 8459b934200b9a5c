/**
 * One budget per request (--response-timeout) across every endpoint it tries, and hedging inside it
 * (--attempt-timeout): a silent endpoint costs a replayable request one attempt timeout, a slow
 * target keeps its whole budget on its first endpoint, and nothing waits past the budget.
 *
 * The dialer's timers run on a ManualClock, so every step is moved by hand; the attempts' own
 * safety timeouts are real but far longer than any test runs (--response-timeout 60s).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../src/clock.js';
import type { SimUpstream } from '../src/sim/index.js';
import { connectGetIp, ipOf, proxyGet, proxyPost, type Reply, type TunnelReply } from './helpers/http-client.js';
import { startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const FLAGS = { 'response-timeout': '60s', 'attempt-timeout': '5s' };

const endpointOf = (h: Harness, up: SimUpstream) => h.app.pool.defaultPool.endpoints.find((x) => x.id === up.id)!;

/** Total requests and tunnels the sim upstreams have seen (real I/O: polled, bounded). */
const seen = (h: Harness): number => h.sim.upstreams.reduce((n, u) => n + u.requests + u.connects, 0);

async function until(what: string, check: () => boolean): Promise<void> {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`still waiting: ${what}`);
    },
    { timeout: 5_000, interval: 5 },
  );
}

/** Settles a promise into a flag the test can look at without awaiting it. */
function track<T>(p: Promise<T>): { done: () => boolean; result: Promise<T> } {
  let done = false;
  const result = p.finally(() => {
    done = true;
  });
  return { done: () => done, result };
}

describe('one response budget per request, hedged attempts', () => {
  it('hedges a silent endpoint after --attempt-timeout: the other answers, the silent one is blamed', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock, flags: FLAGS });
    const silent = h.sim.upstreams[0]!;
    await silent.setMode('silent');
    // Round-robin starts at the first endpoint: the first request meets the silent one.
    const pending = track(proxyGet(h.port, h.ipUrl));
    await until('the silent upstream got the request', () => silent.requests === 1);
    await clock.advanceAsync(4_999);
    expect(pending.done()).toBe(false);
    expect(seen(h)).toBe(1);
    await clock.advanceAsync(1);
    const reply: Reply = await pending.result;
    expect(reply.status).toBe(200);
    expect(ipOf(reply)).not.toBe(silent.localAddress);
    // Slower than another endpoint on the same request: its own fault, counted.
    expect(endpointOf(h, silent).consecutiveFailures).toBe(1);
    expect(h.logs.find('attempt failed').filter((r) => r.endpoint === silent.id)).toMatchObject([{ code: 'upstream_timeout', attempt: 1 }]);
  });

  it('keeps the whole budget for a slow target: the first endpoint answers after a hedge started, nobody is blamed', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock, flags: FLAGS });
    // Every upstream takes 300 ms of real time before it handles a request: the target is "slow".
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('slow-start', { delayMs: 300 })));
    const first = h.sim.upstreams[0]!;
    const pending = track(connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port }));
    await until('the first upstream got the CONNECT', () => first.connects === 1);
    await clock.advanceAsync(5_000);
    await until('a hedge went to a second upstream', () => seen(h) === 2);
    const reply: TunnelReply = await pending.result;
    expect(reply.status).toBe(200);
    expect(reply.ip).toBe(first.localAddress);
    for (const up of h.sim.upstreams) expect(endpointOf(h, up).consecutiveFailures, up.id).toBe(0);
  });

  it('a session that hedged stays on the endpoint that answered', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock, flags: FLAGS });
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('slow-start', { delayMs: 300 })));
    const username = 'session-hedge1';
    const pending = track(connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port, username }));
    await until('the first CONNECT arrived', () => seen(h) === 1);
    const first = h.sim.upstreams.find((u) => u.connects === 1)!;
    await clock.advanceAsync(5_000);
    await until('a hedge went to a second upstream', () => seen(h) === 2);
    expect((await pending.result).ip).toBe(first.localAddress);
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('ok')));
    const again = await connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port, username });
    expect(again.ip).toBe(first.localAddress);
  });

  it('never waits past --response-timeout in total: three silent endpoints, one 504 at the budget', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock, flags: { ...FLAGS, 'response-timeout': '12s', 'attempt-timeout': '4s' } });
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('silent')));
    const pending = track(proxyGet(h.port, h.ipUrl));
    await until('the first attempt arrived', () => seen(h) === 1);
    await clock.advanceAsync(4_000);
    await until('the first hedge arrived', () => seen(h) === 2);
    await clock.advanceAsync(4_000);
    await until('the second hedge arrived', () => seen(h) === 3);
    // --retries 2: three attempts in all, no fourth.
    await clock.advanceAsync(3_999);
    expect(pending.done()).toBe(false);
    expect(seen(h)).toBe(3);
    await clock.advanceAsync(1);
    const reply = await pending.result;
    expect(reply.status).toBe(504);
    expect(reply.headers['x-swivel-error']).toBe('upstream_timeout');
    expect(reply.headers['x-swivel-attempts']).toBe('3');
  });

  it('does not hedge a request with a body: it has the whole budget on one endpoint', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock, flags: { ...FLAGS, 'response-timeout': '12s', 'attempt-timeout': '4s' } });
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('silent')));
    const pending = track(proxyPost(h.port, h.echoUrl, 'payload'));
    await until('the POST arrived', () => seen(h) === 1);
    await clock.advanceAsync(11_999);
    expect(pending.done()).toBe(false);
    expect(seen(h)).toBe(1);
    await clock.advanceAsync(1);
    const reply = await pending.result;
    expect(reply.status).toBe(504);
    expect(reply.headers['x-swivel-attempts']).toBe('1');
  });
});
