// Event-loop stall during a refresh: the real refresher and provider client fetch a 100 000-entry
// answer over loopback, parse, filter and ingest it, while a setImmediate ticker records how long
// the event loop went without a turn (and selects an endpoint on each turn, as a request would).
// That gap is how long every request in flight waited.
//
//   npm run build && node bench/stall.bench.mjs
//   SWIVEL_BASE_DIST=/tmp/swivel-base/dist node bench/stall.bench.mjs   # A/B against another build
//
// Knobs (env):
//   STALL_ENTRIES      entries in the answer, default 100 000 (1..200 000)
//   STALL_ROUNDS       refreshes per build, default 5 (1..20); builds alternate round by round
//   SWIVEL_BASE_DIST   dist/ directory of another build to run beside this one
//
// The answer is served by this process (a plain node:http server on 127.0.0.1:0); each build runs
// in its own child process. Each round is a fresh pool: a first refresh (every entry new), then a
// second of the same answer (every entry a renewal, the steady state). Columns: max gap between two
// ticker turns and the refresh's wall time, medians over the rounds, plus the worst gap of any
// round; `max turn CPU ms` is the most CPU time (user + sys, GC threads included) the process
// spent between two turns: on a shared machine a gap also holds time the process was not
// scheduled at all, this column does not. `picks during` counts the selections served while the
// refresh ran. Run with
// `node --trace-gc` in a child to see which gaps are scavenges.
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { jsonBody } from './bodies.mjs';
import { boundedInt } from './lib/knobs.mjs';

const self = fileURLToPath(import.meta.url);

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function child(dist, apiBase, entries) {
  const load = (p) => import(pathToFileURL(resolve(dist, p)).href);
  const { EndpointPool, systemClock } = await load('index.js');
  const { ProviderClient } = await load('provider/client.js');
  const { Refresher } = await load('refresh/refresher.js');
  const { createAddressFilter } = await load('pool/address-filter.js');
  const source = new ProviderClient({ apiBase, appKey: 'bench-key', maxBodyBytes: 64 * 1024 * 1024, timeoutMs: 60_000 });
  const pool = new EndpointPool({
    defaultGeo: {},
    rotate: 'round-robin',
    sessionTtlMs: 600_000,
    sessionMax: 100_000,
    acquireTimeoutMs: 10_000,
    idleDropMs: 600_000,
    clock: systemClock,
  });
  const refresher = new Refresher({
    source,
    pool,
    clock: systemClock,
    query: { num: entries },
    lifetimeMs: 3_600_000,
    poolMin: 1,
    concurrency: 1,
    reject: createAddressFilter({ allowPrivate: false, ownPorts: [] }),
  });
  const measure = async () => {
    let maxGap = 0;
    let maxTurnCpu = 0;
    let last = performance.now();
    let lastCpu = cpuMs();
    let ticking = true;
    let selected = 0;
    const tick = () => {
      const now = performance.now();
      const cpu = cpuMs();
      if (now - last > maxGap) maxGap = now - last;
      if (cpu - lastCpu > maxTurnCpu) maxTurnCpu = cpu - lastCpu;
      last = now;
      lastCpu = cpu;
      // A request arriving now: served from what the pool holds.
      if (pool.select(pool.defaultPool, undefined) !== undefined) selected++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const started = performance.now();
    await refresher.refreshNow(pool.defaultPool);
    const wallMs = performance.now() - started;
    ticking = false;
    await new Promise((r) => setImmediate(r));
    return { maxGapMs: maxGap, maxTurnCpuMs: maxTurnCpu, wallMs, selected };
  };
  const first = await measure();
  const second = await measure();
  if (pool.defaultPool.size !== entries) throw new Error(`pool holds ${pool.defaultPool.size} of ${entries}`);
  process.stdout.write(JSON.stringify({ first, second }));
}

function run(dist, apiBase, entries) {
  return new Promise((resolveRun, reject) => {
    const p = spawn(process.execPath, [self, '--child', dist, apiBase, String(entries)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill(), 120_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(JSON.parse(out));
      else reject(new Error(`child failed (${code}): ${err}`));
    });
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const entries = boundedInt(process.env.STALL_ENTRIES, 100_000, 1, 200_000, 'STALL_ENTRIES');
  const rounds = boundedInt(process.env.STALL_ROUNDS, 5, 1, 20, 'STALL_ROUNDS');
  const body = Buffer.from(jsonBody(entries));
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const apiBase = `http://127.0.0.1:${server.address().port}/gateway`;
  const here = resolve(fileURLToPath(new URL('../dist', import.meta.url)));
  const builds = [{ name: 'this', dist: here }];
  if (process.env.SWIVEL_BASE_DIST) builds.unshift({ name: 'base', dist: resolve(process.env.SWIVEL_BASE_DIST) });
  const samples = new Map(builds.map((b) => [b.name, []]));
  try {
    for (let r = 0; r < rounds; r++) for (const b of builds) samples.get(b.name).push(await run(b.dist, apiBase, entries));
  } finally {
    server.close();
  }
  const rows = [];
  for (const b of builds) {
    for (const which of ['first', 'second']) {
      const s = samples.get(b.name).map((x) => x[which]);
      rows.push({
        build: b.name,
        refresh: which === 'first' ? 'all new' : 'all renewed',
        entries: entries.toLocaleString('en-US'),
        'max gap ms (median)': median(s.map((x) => x.maxGapMs)).toFixed(1),
        'max gap ms (worst)': Math.max(...s.map((x) => x.maxGapMs)).toFixed(1),
        'max turn CPU ms (median)': median(s.map((x) => x.maxTurnCpuMs)).toFixed(1),
        'refresh wall ms': median(s.map((x) => x.wallMs)).toFixed(0),
        'picks during': median(s.map((x) => x.selected)),
      });
    }
  }
  console.log(`event-loop stall during one refresh, ${rounds} rounds per build, node ${process.version}`);
  console.table(rows);
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], Number(process.argv[5]));
else await main();
