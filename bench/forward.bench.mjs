// A/B bench of the forwarding engine: proxy CPU per operation of two swivel builds, measured from
// /proc/<pid>/stat (user+sys of the swivel process only), in interleaved rounds against the same
// simulated upstreams and target. Loopback only, bounded, stops what it starts.
//
//   node bench/forward.bench.mjs                       # this checkout's dist/ against itself
//   FWD_BASE=/tmp/base node bench/forward.bench.mjs    # `before` = the dist/ of another checkout
//
// Knobs: FWD_ROUNDS (3), FWD_PLAIN (4000 keep-alive GETs per round), FWD_TUNNELS (1000 CONNECTs per
// round), FWD_BULK (8 downloads of 10 MiB per round), FWD_CONCURRENCY (32), BENCH_UPSTREAMS (4),
// FWD_CASES (plain,connect,bulk), FWD_PROF_DIR (write a CPU profile of the `after` process there).
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { child, cpuMs } from './lib/procs.mjs';

const cap = (v, d, max) => Math.max(1, Math.min(Number(v ?? d), max));
const ROUNDS = cap(process.env.FWD_ROUNDS, 3, 20);
const PLAIN = cap(process.env.FWD_PLAIN, 4000, 100_000);
const TUNNELS = cap(process.env.FWD_TUNNELS, 1000, 50_000);
const BULK = cap(process.env.FWD_BULK, 8, 100);
const CONCURRENCY = cap(process.env.FWD_CONCURRENCY, 32, 256);
const BIG = 10 * 1024 * 1024;
/** FWD_CASES=plain,connect,bulk (default all): which loads run each round. */
const CASES = new Set((process.env.FWD_CASES ?? 'plain,connect,bulk').split(','));
const SKIPPED = { cpuPerOp: NaN, opsPerSec: NaN, errors: 0 };

if (process.argv[2] === '--target') {
  // The target, in its own process: a small JSON answer and a 10 MiB body (Content-Length framed).
  const small = Buffer.from('{"ok":true}');
  const chunk = Buffer.alloc(64 * 1024, 120);
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG });
      let left = BIG / chunk.length;
      const more = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': small.length });
      res.end(small);
    }
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else {
  await main();
}

function plainGet(agent, proxyPort, url) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, path: url, agent, timeout: 20_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A new tunnel, one small GET inside it, then close. */
function tunnel(proxyPort, hostPort) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxyPort, '127.0.0.1');
    let got = '';
    let phase = 0;
    socket.setTimeout(20_000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write(`CONNECT ${hostPort} HTTP/1.1\r\nHost: ${hostPort}\r\n\r\n`));
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (phase === 0 && got.includes('\r\n\r\n')) {
        if (!got.startsWith('HTTP/1.1 200')) return socket.destroy(new Error(got.split('\r\n')[0]));
        phase = 1;
        got = '';
        socket.write(`GET /small HTTP/1.1\r\nHost: ${hostPort}\r\nConnection: close\r\n\r\n`);
      }
    });
    socket.on('end', () => {
      socket.end();
      if (phase === 1 && got.startsWith('HTTP/1.1 200')) resolve();
      else reject(new Error('tunnel ended early'));
    });
    socket.on('error', reject);
  });
}

async function load(count, concurrency, fn) {
  let next = 0;
  let errors = 0;
  async function worker() {
    while (next < count) {
      next++;
      try {
        await fn();
      } catch {
        errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return errors;
}

async function measure(variant, count, concurrency, fn) {
  const before = cpuMs(variant.pid) * 1000;
  const t0 = performance.now();
  const errors = await load(count, concurrency, fn);
  const ms = performance.now() - t0;
  return { cpuPerOp: (cpuMs(variant.pid) * 1000 - before) / count, opsPerSec: (count / ms) * 1000, errors };
}

async function startSwivel(name, dir, sim) {
  const nodeArgs =
    name === 'after' && process.env.FWD_PROF_DIR
      ? ['--cpu-prof', '--cpu-prof-interval=200', `--cpu-prof-dir=${process.env.FWD_PROF_DIR}`]
      : [];
  const s = child(
    [...nodeArgs, path.join(dir, 'dist/cli/main.js'), 'serve', '--port', '0', '--socks-port', '0', '--admin-port', '0'].concat([
      '--allow-private-endpoints',
      '--num',
      process.env.BENCH_UPSTREAMS ?? '4',
      '--log-level',
      'warn',
    ]),
    { env: { SWIVEL_API_BASE: sim.apiBase, SWIVEL_APP_KEY: sim.appKey }, cwd: dir },
  );
  const line = await s.firstLine;
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)[1]);
  return { name, dir, child: s.p, pid: s.p.pid, port, agent: new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }) };
}

async function main() {
  const here = process.cwd();
  const base = process.env.FWD_BASE ?? here;
  const sim = child(['bench/sim-server.mjs'], { env: { BENCH_UPSTREAMS: process.env.BENCH_UPSTREAMS ?? '4' } });
  const info = JSON.parse(await sim.firstLine);
  const target = child([new URL(import.meta.url).pathname, '--target']);
  const targetPort = Number(await target.firstLine);
  const small = `http://127.0.0.1:${targetPort}/small`;
  const big = `http://127.0.0.1:${targetPort}/big`;
  const hostPort = `127.0.0.1:${targetPort}`;
  const variants = [await startSwivel('before', base, info), await startSwivel('after', here, info)];
  // Warm up both (JIT, upstream keep-alive pools) before anything is counted.
  for (const v of variants) {
    await load(500, CONCURRENCY, () => plainGet(v.agent, v.port, small));
    await load(100, 8, () => tunnel(v.port, hostPort));
    await load(1, 1, () => plainGet(v.agent, v.port, big));
  }
  const results = { before: [], after: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const plain = CASES.has('plain') ? await measure(v, PLAIN, CONCURRENCY, () => plainGet(v.agent, v.port, small)) : SKIPPED;
      const conn = CASES.has('connect') ? await measure(v, TUNNELS, Math.min(CONCURRENCY, 16), () => tunnel(v.port, hostPort)) : SKIPPED;
      // Bulk right after request load: a GC cliff from per-request garbage would show here.
      const bulk = CASES.has('bulk') ? await measure(v, BULK, 1, () => plainGet(v.agent, v.port, big)) : SKIPPED;
      results[v.name].push({ plain, conn, bulk });
    }
  }
  const rows = [];
  for (const [name, rs] of Object.entries(results)) {
    for (const [i, r] of rs.entries()) {
      rows.push({
        build: name,
        round: i + 1,
        'plain µs/req': r.plain.cpuPerOp.toFixed(0),
        'plain req/s': r.plain.opsPerSec.toFixed(0),
        'CONNECT µs/tunnel': r.conn.cpuPerOp.toFixed(0),
        'tunnels/s': r.conn.opsPerSec.toFixed(0),
        '10 MiB ms CPU': (r.bulk.cpuPerOp / 1000).toFixed(1),
        errors: r.plain.errors + r.conn.errors + r.bulk.errors,
      });
    }
  }
  console.log(
    `forward bench: ${ROUNDS} rounds × (${PLAIN} keep-alive GETs, ${TUNNELS} CONNECTs, ${BULK} × 10 MiB), concurrency ${CONCURRENCY}, node ${process.version}`,
  );
  console.log(`before = ${base}, after = ${here}`);
  console.table(rows);
  for (const v of variants) {
    v.agent.destroy();
    v.child.kill('SIGTERM');
  }
  sim.p.kill('SIGTERM');
  target.p.kill('SIGTERM');
  await Promise.all([...variants.map((v) => once(v.child, 'exit')), once(sim.p, 'exit'), once(target.p, 'exit')]);
}
