/**
 * Health through real sockets: upstreams broken on purpose (refused, reset before a byte, 407,
 * silent until the response timeout), what the client sees, what the log says, and how an ejected
 * endpoint comes back. Time for back-offs is moved by hand with a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import type { SimUpstream } from '../src/sim/index.js';
import { connectGetIp, ipOf, proxyGet, proxyPost, type Reply, type TunnelReply } from './helpers/http-client.js';
import { startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const tunnel = (h: Harness, username?: string): Promise<TunnelReply> =>
  connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port, username });

const endpointOf = (h: Harness, up: SimUpstream) => {
  const e = h.app.pool.defaultPool.endpoints.find((x) => x.id === up.id);
  if (e === undefined) throw new Error(`${up.id} is not in the default pool`);
  return e;
};

const ejectedLines = (h: Harness, up: SimUpstream) => h.logs.find('endpoint ejected').filter((r) => r.endpoint === up.id);

type Mode = Parameters<SimUpstream['setMode']>[0];

/** Break upstreams 1, 3 and 5: never neighbours in the pool's order, so one retry reaches a live one. */
async function breakThree(h: Harness, modes: [Mode, Mode, Mode]): Promise<SimUpstream[]> {
  const dead = [h.sim.upstreams[1]!, h.sim.upstreams[3]!, h.sim.upstreams[5]!];
  await Promise.all(dead.map((up, i) => up.setMode(modes[i]!)));
  return dead;
}

function expectEjected(h: Harness, dead: SimUpstream[], reasons: string[]): void {
  dead.forEach((up, i) => {
    const lines = ejectedLines(h, up);
    expect(lines.length, up.id).toBeGreaterThanOrEqual(1);
    expect(lines[0]!.reason, up.id).toBe(reasons[i]);
    expect(endpointOf(h, up).health, up.id).toBe('ejected');
  });
  // Live endpoints were never ejected.
  const deadIds = new Set(dead.map((up) => up.id));
  expect(h.logs.find('endpoint ejected').every((r) => deadIds.has(r.endpoint as string))).toBe(true);
}

describe('passive health', () => {
  it('serves 40 CONNECT tunnels with 3 of 8 upstreams dead (refused, reset, 407) and logs each ejection', async () => {
    const h = await startSwivel();
    const dead = await breakThree(h, ['refuse', 'reset-before-headers', 'auth-407']);
    const deadIps = new Set(dead.map((up) => up.localAddress));
    for (let i = 0; i < 40; i++) {
      const reply = await tunnel(h);
      expect(reply.status, reply.body).toBe(200);
      expect(reply.inner?.status).toBe(200);
      expect(deadIps.has(reply.ip!)).toBe(false);
    }
    expectEjected(h, dead, ['upstream_refused', 'upstream_reset', 'upstream_auth_failed']);
  });

  it('serves 40 plain requests with 3 of 8 upstreams dead (refused, reset, 407) and logs each ejection', async () => {
    const h = await startSwivel();
    const dead = await breakThree(h, ['refuse', 'reset-before-headers', 'auth-407']);
    const deadIps = new Set(dead.map((up) => up.localAddress));
    for (let i = 0; i < 40; i++) {
      const reply = await proxyGet(h.port, h.ipUrl);
      expect(reply.status, reply.body).toBe(200);
      expect(deadIps.has(ipOf(reply))).toBe(false);
    }
    expectEjected(h, dead, ['upstream_refused', 'upstream_reset', 'upstream_auth_failed']);
  });

  it('never passes an upstream 407 on a plain request to the client, and ejects that endpoint after one failure', async () => {
    const h = await startSwivel();
    const bad = h.sim.upstreams[0]!;
    await bad.setMode('auth-407');
    for (let i = 0; i < 16; i++) {
      const reply = await proxyGet(h.port, h.ipUrl);
      expect(reply.status).toBe(200);
      expect(reply.headers['proxy-authenticate']).toBeUndefined();
      expect(ipOf(reply)).not.toBe(bad.localAddress);
    }
    expect(bad.requests).toBe(1);
    const lines = ejectedLines(h, bad);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'upstream_auth_failed', failures: 1 });
  });

  it('never passes an upstream 407 on CONNECT to the client, and ejects that endpoint after one failure', async () => {
    const h = await startSwivel();
    const bad = h.sim.upstreams[2]!;
    await bad.setMode('auth-407');
    for (let i = 0; i < 16; i++) {
      const reply = await tunnel(h);
      expect(reply.status).toBe(200);
      expect(reply.headers['proxy-authenticate']).toBeUndefined();
      expect(reply.ip).not.toBe(bad.localAddress);
    }
    expect(bad.connects).toBe(1);
    expect(bad.requests).toBe(0);
    const lines = ejectedLines(h, bad);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'upstream_auth_failed', failures: 1 });
  });

  it('moves on from a silent upstream after the response timeout, and counts attempts', async () => {
    const h = await startSwivel({ flags: { 'response-timeout': '1s', 'attempt-timeout': '300ms' } });
    const silent = h.sim.upstreams[0]!;
    await silent.setMode('silent');
    // Round-robin starts at the first endpoint: the first plain request, and the first tunnel after
    // a full turn, both meet the silent one first (a retry picks at random and leaves the cursor).
    const plain = await proxyGet(h.port, h.ipUrl);
    expect(plain.status).toBe(200);
    expect(ipOf(plain)).not.toBe(silent.localAddress);
    for (let i = 0; i < 7; i++) expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
    const viaTunnel = await tunnel(h);
    expect(viaTunnel.status).toBe(200);
    expect(viaTunnel.ip).not.toBe(silent.localAddress);
    expect(silent.requests).toBe(1);
    expect(silent.connects).toBe(1);
    const failed = h.logs.find('attempt failed').filter((r) => r.endpoint === silent.id);
    expect(failed.map((r) => [r.code, r.attempt])).toEqual([
      ['upstream_timeout', 1],
      ['upstream_timeout', 1],
    ]);

    // A successful answer is the target's own and carries no swivel header; when every try times
    // out, swivel's own answer counts them: 1 + --retries (2). CONNECT only: undici's headers
    // timeout for plain requests ticks in ~1 s steps, which would make this test slow.
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('silent')));
    const timedOut = await tunnel(h);
    expect(timedOut.status).toBe(504);
    expect(timedOut.headers['x-swivel-error']).toBe('upstream_timeout');
    expect(timedOut.headers['x-swivel-attempts']).toBe('3');
  });

  it('does not replay a POST whose endpoint failed: 502 after one attempt, other upstreams untouched', async () => {
    const h = await startSwivel();
    const bad = h.sim.upstreams[0]!;
    await bad.setMode('reset-before-headers');
    const before = h.sim.upstreams.map((u) => u.requests);
    const reply = await proxyPost(h.port, `${h.sim.target.url}/echo`, 'order=1');
    expect(reply.status).toBe(502);
    expect(reply.headers['x-swivel-error']).toBe('upstream_reset');
    expect(reply.headers['x-swivel-attempts']).toBe('1');
    const after = h.sim.upstreams.map((u) => u.requests);
    expect(after[0]).toBe(before[0]! + 1);
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(h.sim.target.requests).toBe(0);
    // swivel is still up and the next POST goes through another endpoint.
    const next = await proxyPost(h.port, `${h.sim.target.url}/echo`, 'order=2');
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body).body).toBe('order=2');
  });

  it('answers 502 with a coded, one-line, address-free body when every upstream fails', async () => {
    const h = await startSwivel();
    await Promise.all(h.sim.upstreams.map((u, i) => u.setMode(i % 2 === 0 ? 'refuse' : 'reset-before-headers')));
    const upstreamAddresses = h.sim.upstreams.map((u) => u.id);
    const check = (reply: Reply): void => {
      expect(reply.status).toBe(502);
      expect(reply.headers['x-swivel-error']).toMatch(/^upstream_/);
      expect(reply.headers.connection).toBe('close');
      // 1 + --retries (2), plus one free attempt per refused endpoint (each is ejected at once).
      const attempts = Number(reply.headers['x-swivel-attempts']);
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(attempts).toBeLessThanOrEqual(3 + 4);
      const text = reply.body.replace(/\n$/, '');
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain('\n');
      for (const address of upstreamAddresses) expect(text).not.toContain(address);
      expect(text).not.toMatch(/127\.0\.0\.1:\d+/);
    };
    check(await proxyGet(h.port, h.ipUrl));
    check(await tunnel(h));
    expect(h.sim.target.requests).toBe(0);
  });
});

describe('recovery', () => {
  it('readmits an ejected endpoint after a successful probe once its back-off has passed', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock });
    const up = h.sim.upstreams[4]!;
    await up.setMode('refuse');
    const endpoint = endpointOf(h, up);
    // One refused connect ejects it at once; every client request still succeeds.
    for (let i = 0; i < 40 && endpoint.health !== 'ejected'; i++) expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
    expect(endpoint.health).toBe('ejected');
    expect(ejectedLines(h, up)).toMatchObject([{ reason: 'upstream_refused', failures: 1 }]);
    await up.setMode('ok');

    // Still inside the back-off: no probe, still out of rotation.
    const probesBefore = h.app.prober.probes;
    await h.app.prober.tick();
    expect(h.app.prober.probes).toBe(probesBefore);
    expect(endpoint.health).toBe('ejected');
    const during = new Set<string>();
    for (let i = 0; i < 8; i++) during.add(ipOf(await proxyGet(h.port, h.ipUrl)));
    expect(during.has(up.localAddress)).toBe(false);

    clock.advance(endpoint.ejectedUntil - clock.now() + 1);
    await h.app.prober.tick();
    expect(endpoint.health).not.toBe('ejected');
    expect(h.logs.find('endpoint readmitted').filter((r) => r.endpoint === up.id)).toMatchObject([{ why: 'probe succeeded' }]);
    const after = new Set<string>();
    for (let i = 0; i < 8; i++) after.add(ipOf(await proxyGet(h.port, h.ipUrl)));
    expect(after.has(up.localAddress)).toBe(true);
  });

  it('strict sessions: 502 session_lost once the endpoint dies, then a new endpoint', async () => {
    const h = await startSwivel({ flags: { 'strict-sessions': true } });
    const first = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-s' }));
    expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-s' }))).toBe(first);
    await h.upstreamByIp(first).setMode('refuse');

    const lost = await proxyGet(h.port, h.ipUrl, { username: 'session-s' });
    expect(lost.status).toBe(502);
    expect(lost.headers['x-swivel-error']).toBe('session_lost');

    const next = await proxyGet(h.port, h.ipUrl, { username: 'session-s' });
    expect(next.status).toBe(200);
    const moved = ipOf(next);
    expect(moved).not.toBe(first);
    // The new binding sticks, for CONNECT too.
    expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-s' }))).toBe(moved);
    expect((await tunnel(h, 'session-s')).ip).toBe(moved);
  });
});
