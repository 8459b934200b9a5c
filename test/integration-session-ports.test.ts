/**
 * --session-ports: each port of the range is one sticky session with no credentials, HTTP and
 * SOCKS5 on the same port, distinct endpoints across the range while the pool has enough.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ipOf, proxyGet } from './helpers/http-client.js';
import { freeRange } from './helpers/ports.js';
import { ipViaSocks } from './helpers/socks-client.js';
import { createSwivel, startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

describe('session ports', () => {
  it('gives each port one IP, the same over HTTP and SOCKS5, distinct across the range', async () => {
    const first = await freeRange(3);
    const h = await startSwivel({
      flags: { 'session-ports': `${first}-${first + 2}`, 'session-ports-cc': 'de', num: 9, life: 60 },
      sim: { upstreams: 9 },
    });
    expect(h.summary.sessionPorts).toBe(`127.0.0.1:${first}-${first + 2}`);
    const german = ['127.0.0.11', '127.0.0.14', '127.0.0.17'];
    const ips: string[] = [];
    for (let p = first; p <= first + 2; p++) {
      const a = ipOf(await proxyGet(p, h.ipUrl));
      const b = ipOf(await proxyGet(p, h.ipUrl));
      const c = await ipViaSocks({ port: p, destination: { host: '127.0.0.1', port: h.sim.target.port } });
      expect([b, c]).toEqual([a, a]);
      expect(german).toContain(a);
      ips.push(a);
    }
    expect(new Set(ips).size).toBe(3);
    // Back to the first port: still its IP, after the others were bound.
    expect(ipOf(await proxyGet(first, h.ipUrl))).toBe(ips[0]);
  });

  it('shares endpoints when the range is larger than the pool, instead of failing', async () => {
    const first = await freeRange(4);
    const h = await startSwivel({ flags: { 'session-ports': `${first}-${first + 3}`, 'session-ports-cc': 'us' }, sim: { upstreams: 3 } });
    for (let p = first; p <= first + 3; p++) expect((await proxyGet(p, h.ipUrl)).status).toBe(200);
  });

  it.each(['http', 'socks5'])('stop cuts a %s tunnel on a session port that outlives --drain-timeout', async (kind) => {
    const first = await freeRange(1);
    const h = await startSwivel({ flags: { 'session-ports': `${first}-${first}` } });
    const socket = net.connect(first, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    if (kind === 'http') socket.write(`CONNECT 127.0.0.1:${h.sim.target.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    else socket.write(Buffer.from([5, 1, 0]));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    let closedAt = 0;
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        closedAt = Date.now();
        resolve();
      }),
    );
    const stoppedAt = Date.now();
    await h.app.stop(150);
    // Not before the drain timeout (it was in flight), and by the time stop() resolved.
    await closed;
    expect(socket.destroyed).toBe(true);
    expect(closedAt - stoppedAt).toBeGreaterThanOrEqual(100);
    // And cut by stop, not left to the 10 s negotiation timeout (a handed-over SOCKS5 socket was).
    expect(closedAt - stoppedAt).toBeLessThan(5000);
  });

  it('a taken port of the range fails start-up as port_in_use naming --session-ports', async () => {
    const first = await freeRange(2);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(first + 1, '127.0.0.1', resolve));
    try {
      const { app } = await createSwivel({ flags: { 'session-ports': `${first}-${first + 1}` } });
      const err = await app.start().catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('port_in_use');
      expect((err as Error).message).toContain(`--session-ports (port ${first + 1})`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('a taken --port is port_in_use naming --port alone', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const { app } = await createSwivel({ flags: { port: taken } });
      const err = await app.start().catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('port_in_use');
      expect((err as Error).message).toContain(`--port ${taken}`);
      expect((err as Error).message).not.toContain('--socks-port');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
