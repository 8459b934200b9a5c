import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it, expect, afterEach } from 'vitest';
import {
  startEchoTarget,
  startProviderSim,
  startSimulation,
  startUpstreamProxy,
  type EchoReply,
  type EchoTarget,
  type Simulation,
  type SimUpstream,
} from '../src/sim/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function sim(opts: Parameters<typeof startSimulation>[0] = {}): Promise<Simulation> {
  const s = await startSimulation(opts);
  cleanups.push(() => s.close());
  return s;
}

async function world(auth?: { username: string; password: string }): Promise<{ target: EchoTarget; up: SimUpstream }> {
  const target = await startEchoTarget();
  cleanups.push(() => target.close());
  const up = await startUpstreamProxy({ index: 3, localAddress: '127.0.0.13', country: 'us', ep: 'us', auth });
  cleanups.push(() => up.close());
  return { target, up };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on its own connection (agent: false), so nothing lingers after the test. */
function send(opts: { port: number; path: string; method?: string; headers?: OutgoingHttpHeaders; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', agent: false, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const get = (url: string): Promise<Reply> => {
  const u = new URL(url);
  return send({ port: Number(u.port), path: `${u.pathname}${u.search}` });
};

/** GET through a forward proxy: absolute-form request line. */
const viaProxy = (up: SimUpstream, url: string, headers?: OutgoingHttpHeaders): Promise<Reply> =>
  send({ port: up.port, path: url, headers });

interface RawOutcome {
  data: string;
  /** How the connection ended from the client's point of view. */
  ending: 'end' | 'timeout' | string;
}

/** Writes raw bytes and collects everything until the peer closes, errors, or `timeoutMs` passes. */
function raw(port: number, text: string, timeoutMs = 1000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const finish = (ending: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, ending });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'error'));
    socket.on('end', () => finish('end'));
    socket.write(text);
  });
}

/** CONNECT, then once the tunnel is up, a raw HTTP request inside it. */
function tunnelGet(up: SimUpstream, target: EchoTarget, extraHead = '', timeoutMs = 1000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port: up.port });
    let data = '';
    let inTunnel = false;
    const finish = (ending: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, ending });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'error'));
    socket.on('end', () => finish('end'));
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (!inTunnel && data.startsWith('HTTP/1.1 200') && data.includes('\r\n\r\n')) {
        inTunnel = true;
        socket.write(`GET /ip HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nConnection: close\r\n\r\n`);
      }
    });
    socket.write(`CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n${extraHead}\r\n`);
  });
}

const bodyOf = (rawResponse: string): string => rawResponse.slice(rawResponse.lastIndexOf('\r\n\r\n') + 4);

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('echo target', () => {
  it('answers /ip with the caller address and echoes anything else', async () => {
    const target = await startEchoTarget();
    cleanups.push(() => target.close());
    const ip = await get(`${target.url}/ip`);
    expect(ip.headers['content-type']).toBe('application/json');
    expect(JSON.parse(ip.body)).toEqual({ ip: '127.0.0.1' });

    const echo = await send({ port: target.port, method: 'POST', path: '/x?y=1', headers: { 'x-test': 'a' }, body: 'hello' });
    const reply = JSON.parse(echo.body) as EchoReply;
    expect(reply).toMatchObject({ method: 'POST', path: '/x?y=1', ip: '127.0.0.1', body: 'hello' });
    expect(reply.headers['x-test']).toBe('a');
    expect(target.requests).toBe(2);
  });
});

describe('provider extraction', () => {
  it('lists all upstreams without cc and only matching ones with cc (case-insensitive)', async () => {
    const s = await sim({ upstreams: 6 });
    const all = JSON.parse((await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}`)).body);
    expect(all).toEqual({ code: 200, msg: 'success', data: { list: [s.upstreams.map((u) => u.id)] } });

    const de = JSON.parse((await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}&cc=DE&num=5`)).body);
    const deIds = s.upstreams.filter((u) => u.country === 'de').map((u) => u.id);
    expect(deIds).toHaveLength(2);
    expect(de.data.list).toEqual([deIds]);

    const hk = JSON.parse((await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}&ep=hk`)).body);
    expect(hk.data.list[0]).toEqual(s.upstreams.filter((u) => u.ep === 'hk').map((u) => u.id));

    const none = JSON.parse((await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}&cc=fr`)).body);
    expect(none).toEqual({ code: 200, msg: 'success', data: { list: [] } });
  });

  it('caps num at the matches and rotates the start between calls', async () => {
    const s = await sim({ upstreams: 5, countries: ['us'] });
    const ids = s.upstreams.map((u) => u.id);
    const extract = async (num: number): Promise<string[]> =>
      JSON.parse((await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}&cc=us&num=${num}`)).body).data.list[0];
    expect(await extract(2)).toEqual([ids[0], ids[1]]);
    expect(await extract(2)).toEqual([ids[2], ids[3]]);
    expect(await extract(2)).toEqual([ids[4], ids[0]]);
    expect(await extract(50)).toHaveLength(5);
    // The provider records what was asked, never the app_key.
    expect(s.provider.callCount).toBe(4);
    expect(s.provider.calls[0]).toMatchObject({ cc: 'us', num: 2 });
    expect(JSON.stringify(s.provider.calls)).not.toContain(s.appKey);
    s.provider.resetCalls();
    expect(s.provider.callCount).toBe(0);
  });

  it('answers code 3 for a wrong or missing key and in bad-key mode, 156 when unverified', async () => {
    const s = await sim({ upstreams: 2 });
    const invalid = { code: 3, msg: 'invalid app_key', data: null };
    const wrong = await get(`${s.apiBase}/ip/v3?app_key=nope`);
    expect(wrong.status).toBe(200);
    expect(JSON.parse(wrong.body)).toEqual(invalid);
    expect(JSON.parse((await get(`${s.apiBase}/ip/v3`)).body)).toEqual(invalid);
    s.provider.setBehavior('bad-key');
    expect(JSON.parse((await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}`)).body)).toEqual(invalid);
    s.provider.setBehavior('unverified');
    expect(JSON.parse((await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}`)).body)).toMatchObject({ code: 156 });
  });

  it('answers text with the lb separator', async () => {
    const s = await sim({ upstreams: 3 });
    const ids = s.upstreams.map((u) => u.id);
    const crlf = await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}&format=text`);
    expect(crlf.headers['content-type']).toMatch(/^text\/plain/);
    expect(crlf.body).toBe(ids.join('\r\n'));
    const semi = await get(`${s.apiBase}/ip/v3?app_key=${s.appKey}&format=txt&lb=${encodeURIComponent(';')}`);
    expect(semi.body.split(';')).toHaveLength(3);
  });

  it('breaks on purpose: malformed, http-500, empty, slow; unknown paths 404', async () => {
    const s = await sim({ upstreams: 2 });
    const url = `${s.apiBase}/ip/v3?app_key=${s.appKey}`;
    s.provider.setBehavior('malformed');
    expect((await get(url)).body).toBe('{"code":200,"data":{"lst":"oops"}}');
    s.provider.setBehavior('http-500');
    const failed = await get(url);
    expect(failed.status).toBe(500);
    expect(failed.headers['content-type']).toBe('text/plain');
    s.provider.setBehavior('empty');
    expect(JSON.parse((await get(url)).body)).toEqual({ code: 200, msg: 'success', data: { list: [] } });
    s.provider.setBehavior('slow', { delayMs: 200 });
    const started = Date.now();
    expect(JSON.parse((await get(url)).body).data.list[0]).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    const missing = await get(`${s.provider.url}/gateway/other`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ code: 404, msg: 'not found' });
  });

  it('serves a custom prefix', async () => {
    const target = await startEchoTarget();
    cleanups.push(() => target.close());
    const provider = await startProviderSim({ upstreams: [], appKey: 'k', prefix: '/api' });
    cleanups.push(() => provider.close());
    expect(provider.apiBase).toBe(`${provider.url}/api`);
    expect(JSON.parse((await get(`${provider.apiBase}/ip/v3?app_key=k`)).body).code).toBe(200);
  });
});

describe('upstream proxy', () => {
  it('forwards a plain GET from its own local address, streaming bodies and headers', async () => {
    const s = await sim({ upstreams: 3 });
    for (const up of s.upstreams) {
      const reply = await viaProxy(up, `${s.target.url}/ip`);
      expect(JSON.parse(reply.body)).toEqual({ ip: up.localAddress });
    }
    const up = s.upstreams[1]!;
    expect(up.localAddress).toBe('127.0.0.11');
    const echo = await send({
      port: up.port,
      method: 'POST',
      path: `${s.target.url}/echo`,
      headers: { 'x-end-to-end': '1', 'proxy-authorization': basic('a', 'b') },
      body: 'payload',
    });
    const reply = JSON.parse(echo.body) as EchoReply;
    expect(reply).toMatchObject({ method: 'POST', path: '/echo', body: 'payload', ip: '127.0.0.11' });
    expect(reply.headers['x-end-to-end']).toBe('1');
    // An upstream without auth relays credentials it did not consume, so tests can catch swivel leaking them.
    expect(reply.headers['proxy-authorization']).toBe(basic('a', 'b'));
    expect(up.requests).toBe(2);
  });

  it('tunnels CONNECT from its own local address', async () => {
    const { target, up } = await world();
    const out = await tunnelGet(up, target);
    expect(out.data.startsWith('HTTP/1.1 200 Connection Established\r\n\r\n')).toBe(true);
    expect(JSON.parse(bodyOf(out.data))).toEqual({ ip: '127.0.0.13' });
    expect(up.connects).toBe(1);
    expect(up.requests).toBe(0);
  });

  it('answers 502 to CONNECT when the target refuses', async () => {
    const { up } = await world();
    const dead = await startEchoTarget();
    await dead.close();
    const out = await raw(up.port, `CONNECT 127.0.0.1:${dead.port} HTTP/1.1\r\n\r\n`);
    expect(out.data).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(out.data).toContain('Connection: close');
  });

  it('refuse: connects get ECONNREFUSED, then the same port serves again', async () => {
    const { target, up } = await world();
    await up.setMode('refuse');
    expect(await connectError(up.port)).toBe('ECONNREFUSED');
    await up.setMode('ok');
    expect(JSON.parse((await viaProxy(up, `${target.url}/ip`)).body)).toEqual({ ip: '127.0.0.13' });
    expect(up.id).toBe(`127.0.0.1:${up.port}`);

    // Going back to refuse while the re-listen is still binding must leave the port closed.
    await up.setMode('refuse');
    const reopening = up.setMode('ok');
    await up.setMode('refuse');
    await reopening;
    expect(await connectError(up.port)).toBe('ECONNREFUSED');
  });

  it('reset-before-headers: the client sees a reset and no byte, plain and CONNECT', async () => {
    const { target, up } = await world();
    await up.setMode('reset-before-headers');
    await expect(viaProxy(up, `${target.url}/ip`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    const out = await tunnelGet(up, target);
    expect(out).toEqual({ data: '', ending: 'ECONNRESET' });
    expect(target.requests).toBe(0);
  });

  it('reset-after-headers: plain gets the real status then a cut body; CONNECT gets 200 then a cut', async () => {
    const { target, up } = await world();
    await up.setMode('reset-after-headers');
    const outcome = await new Promise<{ status: number; error: string }>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: up.port, path: `${target.url}/ip`, agent: false }, (res) => {
        res.on('data', () => {});
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ status: res.statusCode ?? 0, error: err.code ?? 'error' }));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, error: 'none' }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, error: err.code ?? 'error' }));
      req.end();
    });
    expect(outcome).toEqual({ status: 200, error: 'ECONNRESET' });

    const out = await tunnelGet(up, target);
    expect(out.data.startsWith('HTTP/1.1 200 Connection Established\r\n\r\n')).toBe(true);
    const inner = out.data.slice('HTTP/1.1 200 Connection Established\r\n\r\n'.length);
    expect(inner.length).toBeGreaterThan(0);
    expect(inner).not.toContain('"ip"');
    expect(out.ending).toBe('end');
  });

  it('auth-407: 407 with a Basic challenge to plain and CONNECT', async () => {
    const { target, up } = await world();
    await up.setMode('auth-407');
    const plain = await viaProxy(up, `${target.url}/ip`);
    expect(plain.status).toBe(407);
    expect(plain.headers['proxy-authenticate']).toBe('Basic realm="sim"');
    const out = await tunnelGet(up, target);
    expect(out.data).toMatch(/^HTTP\/1\.1 407 Proxy Authentication Required\r\n/);
    expect(out.data).toContain('Proxy-Authenticate: Basic realm="sim"');
  });

  it('silent: accepts and never answers', async () => {
    const { target, up } = await world();
    await up.setMode('silent');
    const plain = await raw(up.port, `GET ${target.url}/ip HTTP/1.1\r\nHost: x\r\n\r\n`, 300);
    expect(plain).toEqual({ data: '', ending: 'timeout' });
    const tunnel = await tunnelGet(up, target, '', 300);
    expect(tunnel).toEqual({ data: '', ending: 'timeout' });
    expect(up.requests).toBe(1);
    expect(up.connects).toBe(1);
  });

  it('slow-start: answers normally after the delay', async () => {
    const { target, up } = await world();
    await up.setMode('slow-start', { delayMs: 200 });
    const started = Date.now();
    expect(JSON.parse((await viaProxy(up, `${target.url}/ip`)).body)).toEqual({ ip: '127.0.0.13' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const tunnel = await tunnelGet(up, target);
    expect(JSON.parse(bodyOf(tunnel.data))).toEqual({ ip: '127.0.0.13' });
  });

  it('reject-connect: 403 on CONNECT, plain requests still served', async () => {
    const { target, up } = await world();
    await up.setMode('reject-connect');
    const out = await tunnelGet(up, target);
    expect(out.data).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect((await viaProxy(up, `${target.url}/ip`)).status).toBe(200);
  });

  it('with auth: 407 without or with wrong credentials, served (and credentials consumed) with the right ones', async () => {
    const { target, up } = await world({ username: 'u', password: 'p' });
    const missing = await viaProxy(up, `${target.url}/echo`);
    expect(missing.status).toBe(407);
    expect(missing.headers['proxy-authenticate']).toBe('Basic realm="sim"');
    expect((await viaProxy(up, `${target.url}/echo`, { 'proxy-authorization': basic('u', 'x') })).status).toBe(407);

    const ok = await viaProxy(up, `${target.url}/echo`, { 'proxy-authorization': basic('u', 'p') });
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as EchoReply).headers['proxy-authorization']).toBeUndefined();

    expect((await tunnelGet(up, target)).data).toMatch(/^HTTP\/1\.1 407 /);
    const tunnel = await tunnelGet(up, target, `Proxy-Authorization: ${basic('u', 'p')}\r\n`);
    expect(JSON.parse(bodyOf(tunnel.data))).toEqual({ ip: '127.0.0.13' });
  });

  it('close() ends silent connections and open tunnels', async () => {
    const { target, up } = await world();
    const tunnelSocket = connect({ host: '127.0.0.1', port: up.port });
    tunnelSocket.on('error', () => {});
    const closed = new Promise<void>((resolve) => tunnelSocket.on('close', () => resolve()));
    tunnelSocket.write(`CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\n\r\n`);
    await new Promise((resolve) => tunnelSocket.once('data', resolve));
    await up.close();
    await closed;
    expect(await connectError(up.port)).toBe('ECONNREFUSED');
  });
});

describe('simulation', () => {
  it('assigns addresses, countries and eps by index, and closes everything', async () => {
    const s = await startSimulation({ upstreams: 4, countries: ['fr', 'it'], eps: ['hk'] });
    expect(s.upstreams.map((u) => [u.localAddress, u.country, u.ep])).toEqual([
      ['127.0.0.10', 'fr', 'hk'],
      ['127.0.0.11', 'it', 'hk'],
      ['127.0.0.12', 'fr', 'hk'],
      ['127.0.0.13', 'it', 'hk'],
    ]);
    expect(s.apiBase).toBe(`${s.provider.url}/gateway`);
    expect(s.appKey).toBe('demo-key');
    await expect(s.close()).resolves.toBeUndefined();
    await expect(s.close()).resolves.toBeUndefined();
    expect(await connectError(s.provider.port)).toBe('ECONNREFUSED');
    expect(await connectError(s.upstreams[0]!.port)).toBe('ECONNREFUSED');
  });

  it('rejects an impossible upstream count', async () => {
    await expect(startSimulation({ upstreams: 300 })).rejects.toThrow(/upstreams/);
  });
});

describe('control surface for the demo', () => {
  it('lists upstreams and sets a failure mode over HTTP', async () => {
    const s = await sim({ upstreams: 2 });
    const list = await fetch(`${s.provider.url}/sim/upstreams`);
    const body = (await list.json()) as { upstreams: Array<{ index: number; mode: string; exitIp: string }> };
    expect(body.upstreams.map((u) => [u.index, u.mode, u.exitIp])).toEqual([
      [0, 'ok', '127.0.0.10'],
      [1, 'ok', '127.0.0.11'],
    ]);
    const set = await fetch(`${s.provider.url}/sim/upstreams/1/refuse`, { method: 'POST' });
    expect(set.status).toBe(200);
    expect(s.upstreams[1]!.mode).toBe('refuse');
    const bad = await fetch(`${s.provider.url}/sim/upstreams/7/explode`, { method: 'POST' });
    expect(bad.status).toBe(400);
    await fetch(`${s.provider.url}/sim/upstreams/1/ok`, { method: 'POST' });
    expect(s.upstreams[1]!.mode).toBe('ok');
  });
});
