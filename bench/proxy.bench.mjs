// End-to-end proxy throughput and latency: load generator (this process) → swivel (child
// process, built CLI) → simulated upstreams → echo target (another child process). All loopback.
// Bounded: BENCH_REQUESTS per case (default 4000) and BENCH_SECONDS per case (default 15).
// Knobs: BENCH_CONCURRENCY (32), BENCH_UPSTREAMS (8). Run after `npm run build`.
import http from 'node:http';
import { once } from 'node:events';
import { child, rssKiB } from './lib/procs.mjs';

const REQUESTS = Math.min(Number(process.env.BENCH_REQUESTS ?? 4000), 100_000);
const SECONDS = Math.min(Number(process.env.BENCH_SECONDS ?? 15), 120);
const CONCURRENCY = Math.min(Number(process.env.BENCH_CONCURRENCY ?? 32), 512);

function rssMiB(pid) {
  try {
    return (rssKiB(pid) / 1024).toFixed(1);
  } catch {
    return 'n/a';
  }
}

function percentile(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One plain GET through an HTTP proxy (keep-alive agent to the proxy). */
function plainVia(agent, proxyPort, url) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, path: url, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One CONNECT tunnel through the proxy, one GET inside it, then close (a new exit per request). */
function connectVia(proxyPort, targetHostPort) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: proxyPort,
      method: 'CONNECT',
      path: targetHostPort,
      agent: false,
      timeout: 10_000,
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT ${res.statusCode}`));
      socket.write(`GET /ip HTTP/1.1\r\nHost: ${targetHostPort}\r\nConnection: close\r\n\r\n`);
      socket.on('data', () => {});
      socket.on('end', () => resolve());
      socket.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function runCase(name, fn, pid) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const t0 = process.hrtime.bigint();
  async function worker() {
    while (next < REQUESTS && Date.now() < deadline) {
      next++;
      const s = process.hrtime.bigint();
      try {
        await fn();
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      } catch {
        errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    case: name,
    requests: latencies.length + errors,
    errors,
    'req/s': Math.round(latencies.length / seconds),
    'p50 ms': percentile(latencies, 0.5).toFixed(2),
    'p99 ms': percentile(latencies, 0.99).toFixed(2),
    'swivel RSS MiB': pid === undefined ? '-' : rssMiB(pid),
  };
}

const sim = child(['bench/sim-server.mjs']);
const info = JSON.parse(await sim.firstLine);
const swivel = child(
  ['dist/cli/main.js', 'serve', '--port', '0', '--socks-port', '0', '--allow-private-endpoints', '--num', '8', '--log-level', 'warn'],
  { env: { SWIVEL_API_BASE: info.apiBase, SWIVEL_APP_KEY: info.appKey } },
);
const line = await swivel.firstLine;
const proxyPort = Number(/127\.0\.0\.1:(\d+)/.exec(line)[1]);
const targetUrl = `${info.target}/ip`;
const targetHostPort = new URL(info.target).host;
const upstreamPort = Number(info.upstream.split(':')[1]);

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const rows = [];
rows.push(await runCase('baseline: direct to one sim upstream (plain)', () => plainVia(agent, upstreamPort, targetUrl)));
rows.push(await runCase('swivel plain HTTP, rotating', () => plainVia(agent, proxyPort, targetUrl), swivel.p.pid));
rows.push(await runCase('swivel CONNECT, new tunnel each', () => connectVia(proxyPort, targetHostPort), swivel.p.pid));
agent.destroy();

console.log(`proxy bench: ${REQUESTS} requests per case (cap ${SECONDS}s), concurrency ${CONCURRENCY}, node ${process.version}`);
console.table(rows);

swivel.p.kill('SIGTERM');
sim.p.kill('SIGTERM');
await Promise.all([once(swivel.p, 'exit'), once(sim.p, 'exit')]);
