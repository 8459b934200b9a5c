// The Node load generator, run in its own process so its CPU is never charged to a proxy.
// Usage: node loadgen.mjs '<json>' with { mode, proxyPort, targetPort, concurrency, seconds,
// maxOps, bulkBytes }; prints one JSON line with the result. Bounded by maxOps and seconds
// (plus a hard stop 15 s later), each operation by a 10 s socket timeout.
// Modes: `connect` (a new tunnel per operation, one small GET inside, then close), `bulk-plain`
// (GET /bulk in absolute form through the proxy), `bulk-connect` (GET /bulk inside a tunnel),
// `plain` (keep-alive GET / in absolute form; only used when wrk is not installed).
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const o = JSON.parse(process.argv[2]);
const HOST = '127.0.0.1';
const TARGET = `${HOST}:${o.targetPort}`;
const OP_TIMEOUT_MS = 10_000;
setTimeout(
  () => {
    process.stderr.write('loadgen: hard stop\n');
    process.exit(2);
  },
  (o.seconds + 15) * 1000,
).unref();

const CRLF2 = Buffer.from('\r\n\r\n');

/** Status code and content-length of a response head, or undefined while the head is incomplete. */
function parseHead(buf) {
  const end = buf.indexOf(CRLF2);
  if (end === -1) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return { status, contentLength: cl ? Number(cl[1]) : undefined, rest: buf.subarray(end + 4) };
}

/**
 * One operation on a fresh connection to the proxy: optionally CONNECT first, then one GET with
 * `Connection: close`; done when the whole body is in (by content-length, else at close).
 */
function rawOp({ tunnel, path, minBody }) {
  return new Promise((resolve) => {
    const sock = net.connect(o.proxyPort, HOST);
    sock.setNoDelay(true);
    let phase = tunnel ? 'connect' : 'response';
    let pending = Buffer.alloc(0);
    let head;
    let body = 0;
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ ...result, bytes: body });
    };
    const request = tunnel
      ? `GET ${path} HTTP/1.1\r\nHost: ${TARGET}\r\nConnection: close\r\n\r\n`
      : `GET http://${TARGET}${path} HTTP/1.1\r\nHost: ${TARGET}\r\nConnection: close\r\n\r\n`;
    sock.setTimeout(OP_TIMEOUT_MS, () => finish({ error: 'timeout' }));
    sock.on('error', () => finish({ error: phase === 'connect' ? 'connect-socket' : 'socket' }));
    sock.on('connect', () => sock.write(tunnel ? `CONNECT ${TARGET} HTTP/1.1\r\nHost: ${TARGET}\r\n\r\n` : request));
    sock.on('data', (chunk) => {
      if (head !== undefined) {
        body += chunk.length;
      } else {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const h = parseHead(pending);
        if (h === undefined) return;
        pending = Buffer.alloc(0);
        if (phase === 'connect') {
          if (h.status !== 200) return finish({ error: `connect-${h.status}` });
          phase = 'response';
          sock.write(request);
          return;
        }
        if (h.status < 200 || h.status > 299) return finish({ error: `status-${h.status}` });
        head = h;
        body = h.rest.length;
      }
      if (head.contentLength !== undefined && body >= head.contentLength) finish(body >= minBody ? {} : { error: 'short-body' });
    });
    sock.on('end', () => {
      if (head === undefined) return finish({ error: phase === 'connect' ? 'connect-closed' : 'closed-before-head' });
      finish(body >= minBody && (head.contentLength === undefined || body >= head.contentLength) ? {} : { error: 'short-body' });
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
/** One kept-alive GET / through the proxy (node:http client; slower than wrk, fine as a fallback). */
function plainOp() {
  return new Promise((resolve) => {
    const req = http.request({ host: HOST, port: o.proxyPort, path: `http://${TARGET}/`, headers: { host: TARGET }, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () =>
        resolve(res.statusCode >= 200 && res.statusCode <= 299 ? { bytes } : { error: `status-${res.statusCode}`, bytes }),
      );
      res.on('error', () => resolve({ error: 'socket', bytes }));
    });
    req.setTimeout(OP_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: e.message === 'timeout' ? 'timeout' : 'socket', bytes: 0 }));
    req.end();
  });
}

const ops = {
  connect: () => rawOp({ tunnel: true, path: '/', minBody: 1 }),
  'bulk-plain': () => rawOp({ tunnel: false, path: '/bulk', minBody: o.bulkBytes }),
  'bulk-connect': () => rawOp({ tunnel: true, path: '/bulk', minBody: o.bulkBytes }),
  plain: plainOp,
}[o.mode];
if (ops === undefined) throw new Error(`unknown mode ${o.mode}`);

const latencies = new Float64Array(o.maxOps);
const errors = {};
let started = 0;
let ok = 0;
let bytes = 0;
const t0 = performance.now();
const deadline = t0 + o.seconds * 1000;
async function worker() {
  while (started < o.maxOps && performance.now() < deadline) {
    started++;
    const s = performance.now();
    const r = await ops();
    bytes += r.bytes;
    if (r.error === undefined) latencies[ok++] = performance.now() - s;
    else errors[r.error] = (errors[r.error] ?? 0) + 1;
  }
}
await Promise.all(Array.from({ length: o.concurrency }, worker));
const seconds = (performance.now() - t0) / 1000;
agent.destroy();
const sorted = latencies.subarray(0, ok).sort();
const pct = (q) => (ok === 0 ? null : sorted[Math.min(ok - 1, Math.floor(q * ok))]);
process.stdout.write(`${JSON.stringify({ ops: started, ok, errors, seconds, p50Ms: pct(0.5), p99Ms: pct(0.99), bytes })}\n`);
