/**
 * Soak: 20 000 mixed operations against swivel with failing upstreams (refused, reset, silent,
 * 407) — plain GETs on keep-alive, CONNECT tunnels, CONNECTs to an unresolvable target, refused
 * target edges, SOCKS5 tunnels — then heap, open fds (/proc/self/fd) and active handles must come
 * back to their baseline. Bounded: a fixed number of operations at a fixed concurrency.
 */
import http from 'node:http';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { hex, u16 } from './helpers/socks-client.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

const OPERATIONS = Number(process.env.SWIVEL_SOAK_OPS ?? 20_000);
const CONCURRENCY = 16;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const fds = (): number => readdirSync('/proc/self/fd').length;
const handles = (): number => process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'Immediate').length;

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc();
  }
}

/** Raw exchange that resolves on the first complete head (or close), then destroys the socket. */
function rawHead(port: number, bytes: Buffer | string, until: (b: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 3000);
    s.on('error', done);
    s.on('close', done);
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (until(got)) done();
    });
    s.write(bytes);
  });
}

const headDone = (b: Buffer): boolean => b.includes('\r\n\r\n');

describe('soak', () => {
  it(`${OPERATIONS} mixed operations with failing upstreams leave heap, fds and handles at baseline`, async () => {
    const h = await startSwivel({ socks: true, flags: { 'response-timeout': '2s', retries: 2 } });
    const socksPort = h.app.socks!.port;
    await h.sim.upstreams[1]!.setMode('refuse');
    await h.sim.upstreams[3]!.setMode('reset-before-headers');
    await h.sim.upstreams[5]!.setMode('auth-407');
    let agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const target = `127.0.0.1:${h.sim.target.port}`;
    const tunnelReq = Buffer.from(
      `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\nGET /ip HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
    );
    const invalidReq = 'CONNECT nohost.invalid:443 HTTP/1.1\r\nHost: nohost.invalid:443\r\n\r\n';
    const edgeReq = 'CONNECT 127.0.0.1:0 HTTP/1.1\r\nHost: x\r\n\r\n';
    const socksReq = Buffer.concat([hex('05 01 00 05 01 00 01 7f 00 00 01'), u16(h.sim.target.port)]);

    const plain = (): Promise<number> =>
      new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: h.port, path: h.ipUrl, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(0));
        });
        req.on('error', () => resolve(0));
        req.setTimeout(3000, () => req.destroy());
      });

    const op = async (i: number): Promise<boolean> => {
      switch (i % 10) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
          return (await plain()) === 200;
        case 5:
        case 6: {
          const b = await rawHead(h.port, tunnelReq, (x) => x.includes('"ip"'));
          return b.toString('latin1').startsWith('HTTP/1.1 200');
        }
        case 7:
          return (await rawHead(h.port, invalidReq, headDone)).toString('latin1').startsWith('HTTP/1.1 502');
        case 8:
          return (await rawHead(h.port, edgeReq, headDone)).toString('latin1').startsWith('HTTP/1.1 400');
        default: {
          // Greeting + request in one write; the reply is method selection (2) + reply (10).
          const b = await rawHead(socksPort, socksReq, (x) => x.length >= 12);
          return b.length >= 12 && b[3] === 0x00;
        }
      }
    };

    // Warm up (JIT, keep-alive pools, first ejections), then take the baseline.
    for (let i = 0; i < 200; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, (_, k) => op(i + k)));
    agent.destroy();
    await settle();
    const base = { heap: process.memoryUsage().heapUsed, fds: fds(), handles: handles() };

    agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let ok = 0;
    let next = 0;
    const slowest = Array.from({ length: 10 }, () => 0);
    const worker = async (): Promise<void> => {
      while (next < OPERATIONS) {
        const i = next++;
        const t0 = Date.now();
        if (await op(i)) ok++;
        const dt = Date.now() - t0;
        slowest[i % 10] = Math.max(slowest[i % 10]!, dt);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsedMs = Date.now() - started;
    agent.destroy();
    await settle();
    const after = { heap: process.memoryUsage().heapUsed, fds: fds(), handles: handles() };

    // Every operation got the answer it should have, failing upstreams notwithstanding.
    expect(ok, `elapsed ${elapsedMs} ms, slowest per kind ${slowest.join(',')}`).toBe(OPERATIONS);
    expect(after.fds).toBeLessThanOrEqual(base.fds + 4);
    expect(after.handles).toBeLessThanOrEqual(base.handles + 4);
    expect(after.heap).toBeLessThan(base.heap + 16 * 1024 * 1024);
    // The unresolvable target blamed nobody: only the three broken upstreams were ever ejected.
    const broken = new Set([1, 3, 5].map((i) => h.sim.upstreams[i]!.id));
    expect(h.logs.find('endpoint ejected').every((r) => broken.has(r.endpoint as string))).toBe(true);
  }, 120_000);
});
