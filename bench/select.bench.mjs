// Selection hot path: EndpointPool.select() per request, with and without sessions, up to 100 000
// endpoints and 100 000 sessions.
//
//   npm run build && node --expose-gc bench/select.bench.mjs
//   SWIVEL_BASE_DIST=/tmp/swivel-base/dist node bench/select.bench.mjs   # A/B against another build
//
// Knobs (env):
//   SELECT_ITERATIONS  most selections per case, default 2 000 000, at most 20 000 000
//   SELECT_CASE_MS     wall-time cap per case, default 1 500 ms (a slow case stops early; the
//                      count it reached is shown)
//   SWIVEL_BASE_DIST   dist/ directory of another build; each case then runs in a child process per
//                      build, the builds alternating case by case
//
// Times are CPU time of the process (process.cpuUsage), not wall time: the machine is shared, and
// a descheduled bench would otherwise charge other processes' time to selection.
//
// Repeatable: fixed pool sizes, manual clock, a seeded random source. Cases with `unusable` have
// that share of endpoints out of rotation in one block (ejected through pool.markEjected, or
// expired by moving the clock), as when one extraction's node dies: a scan walks the block, the
// live set skips it. `retry` is the retry pick (avoid = two endpoints already tried).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const self = fileURLToPath(import.meta.url);
const iterations = Math.min(Number(process.env.SELECT_ITERATIONS ?? 2_000_000), 20_000_000);
const caseMs = Math.min(Number(process.env.SELECT_CASE_MS ?? 1_500), 10_000);

const CASES = [
  { label: 'rotate', size: 10, rotate: 'round-robin' },
  { label: 'rotate', size: 1_000, rotate: 'round-robin' },
  { label: 'rotate', size: 1_000, rotate: 'least-used' },
  { label: 'rotate', size: 100_000, rotate: 'round-robin' },
  { label: 'rotate', size: 100_000, rotate: 'random' },
  { label: 'rotate', size: 100_000, rotate: 'least-used' },
  { label: 'retry', size: 100_000, rotate: 'round-robin', retry: true },
  { label: 'half ejected', size: 100_000, rotate: 'round-robin', ejected: 0.5 },
  { label: 'half ejected', size: 100_000, rotate: 'random', ejected: 0.5 },
  { label: 'half ejected', size: 100_000, rotate: 'least-used', ejected: 0.5 },
  { label: 'half ejected', size: 100_000, rotate: 'round-robin', ejected: 0.5, retry: true },
  { label: 'half expired', size: 100_000, rotate: 'round-robin', expired: 0.5 },
  { label: 'half expired', size: 100_000, rotate: 'random', expired: 0.5 },
  { label: 'sessions', size: 1_000, rotate: 'round-robin', sessions: 1_000 },
  { label: 'sessions', size: 1_000, rotate: 'round-robin', sessions: 50_000 },
  { label: 'sessions', size: 100_000, rotate: 'round-robin', sessions: 100_000 },
];

function seeded(seed) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function runCase(dist, c) {
  const { EndpointPool, ManualClock } = await import(dist === undefined ? 'swivel' : pathToFileURL(resolve(dist, 'index.js')).href);
  const clock = new ManualClock();
  const pool = new EndpointPool({
    defaultGeo: {},
    rotate: c.rotate,
    sessionTtlMs: 600_000,
    sessionMax: 200_000,
    acquireTimeoutMs: 1000,
    idleDropMs: 600_000,
    clock,
    random: seeded(42),
  });
  const sub = pool.defaultPool;
  const parsed = [];
  for (let i = 0; i < c.size; i++) parsed.push({ host: `23.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 10000 + (i % 1000) });
  const block = Math.floor(c.size * (c.ejected ?? c.expired ?? 0));
  if (c.expired) {
    sub.ingest(parsed.slice(0, block), clock.now(), 1_000);
    sub.ingest(parsed.slice(block), clock.now(), 3_600_000);
    clock.advance(1_000);
  } else {
    sub.ingest(parsed, clock.now(), 3_600_000);
  }
  const all = sub.endpoints;
  for (let i = 0; i < (c.ejected ? block : 0); i++) pool.markEjected(all[i], clock.now() + 600_000, 'bench');
  const sessions = c.sessions ?? 0;
  const ids = [];
  for (let i = 0; i < sessions; i++) ids.push(`s${i}`);
  const avoid = c.retry ? [sub.endpoints[c.size - 1], sub.endpoints[c.size - 2]] : undefined;
  const pick = (i) => pool.select(sub, sessions ? ids[i % sessions] : undefined, avoid);
  // Warm-up: binds every session once and lets the JIT settle.
  const warm = Math.max(100_000, sessions);
  const warmStart = performance.now();
  for (let i = 0; i < warm && performance.now() - warmStart < caseMs; i++) pick(i);
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const deadline = performance.now() + caseMs;
  while (done < iterations) {
    const n = Math.min(1_000, iterations - done);
    for (let i = 0; i < n; i++) if (pick(done + i) === undefined) throw new Error(`${c.label}: nothing selected`);
    done += n;
    if (performance.now() > deadline) break;
  }
  const cpu = process.cpuUsage(cpu0);
  const ns = (cpu.user + cpu.system) * 1000;
  return { ns: ns / done, done, heapMiB: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20 };
}

function row(build, c, r) {
  return {
    build,
    case: c.label,
    endpoints: c.size.toLocaleString('en-US'),
    rotate: c.retry ? `${c.rotate} (retry)` : c.rotate,
    sessions: (c.sessions ?? 0).toLocaleString('en-US'),
    'ns/select': r.ns < 100 ? r.ns.toFixed(1) : Math.round(r.ns).toLocaleString('en-US'),
    selections: r.done.toLocaleString('en-US'),
    'heap Δ MiB': r.heapMiB.toFixed(1),
  };
}

if (process.argv[2] === '--child') {
  const c = JSON.parse(process.argv[4]);
  process.stdout.write(JSON.stringify(await runCase(process.argv[3], c)));
} else {
  const rows = [];
  const base = process.env.SWIVEL_BASE_DIST;
  if (base === undefined) {
    for (const c of CASES) rows.push(row('this', c, await runCase(undefined, c)));
  } else {
    const here = resolve(fileURLToPath(new URL('../dist', import.meta.url)));
    for (const c of CASES) {
      for (const [name, dist] of [
        ['base', resolve(base)],
        ['this', here],
      ]) {
        const out = spawnSync(process.execPath, ['--expose-gc', self, '--child', dist, JSON.stringify(c)], {
          encoding: 'utf8',
          timeout: 120_000,
        });
        if (out.status !== 0) throw new Error(`${name} ${c.label} failed: ${out.stderr}`);
        rows.push(row(name, c, JSON.parse(out.stdout)));
      }
    }
  }
  console.log(`select bench: up to ${iterations} selections or ${caseMs} ms per case, node ${process.version}`);
  console.table(rows);
}
