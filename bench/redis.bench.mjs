// Session lookup cost with --redis-url: what a request pays for its session on a replica.
//   local hit      pool.select() for a session this replica already holds (memory store vs the shared
//                  store's local tier: the same LRU plus a keep-alive check; no Redis on this path)
//   redis hit      pool.acquire() for a session another replica bound: one GET, then a local bind
//                  (which writes the binding through, without waiting)
//   redis miss     pool.acquire() for a session nobody knows: one GET, then a new bind (SET, not awaited)
//   memory new     pool.acquire() for a new session on the memory store (the no-Redis baseline)
// Against a real redis-server this script starts on a free loopback port in a temp dir, stops at the end.
// Rows run interleaved, A/B, ROUNDS times; per op: wall µs, and CPU µs from /proc (swivel's process, and
// redis-server's). Run after `npm run build`: node bench/redis.bench.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const load = async (p) => {
  try {
    return await import(p);
  } catch {
    console.error(`cannot import ${p}: run \`npm run build\` first`);
    process.exit(1);
  }
};
const { EndpointPool, ManualClock } = await load('swivel');
// Internals of the shared tier (not part of the package's public API): from the build, by path.
const { RedisLink } = await load('../dist/cluster/link.js');
const { SharedSessionStore } = await load('../dist/cluster/shared-sessions.js');
const { clusterKeys } = await load('../dist/cluster/keys.js');

const HIT_ITERATIONS = Math.min(Number(process.env.REDIS_HIT_ITERATIONS ?? 1_000_000), 20_000_000);
const TRIP_ITERATIONS = Math.min(Number(process.env.REDIS_TRIP_ITERATIONS ?? 20_000), 200_000);
const ROUNDS = Math.min(Number(process.env.REDIS_ROUNDS ?? 3), 20);

const server = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (server === '') {
  console.error('redis-server is not installed (apt-get install redis-server)');
  process.exit(1);
}
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'swivel-redis-bench-'));
const redis = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
  stdio: 'ignore',
});
const stopRedis = () => {
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stopRedis);
for (let i = 0; ; i++) {
  const ok = await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  if (ok) break;
  if (i > 250) throw new Error('redis-server did not start');
  await new Promise((r) => setTimeout(r, 20));
}

const url = `redis://127.0.0.1:${port}`;
const clock = new ManualClock();
const keys = clusterKeys('bench', 'api bench');
// A generous bound: this measures the cost of a round trip, not the fallback (a stall on a busy
// machine would otherwise take the link down and turn the rest of a row into local misses).
const linkA = new RedisLink({ url, timeoutMs: 2_000 });
const linkB = new RedisLink({ url, timeoutMs: 2_000 });
await Promise.all([linkA.start(), linkB.start()]);

function makePool(store) {
  const pool = new EndpointPool({
    defaultGeo: {},
    rotate: 'round-robin',
    sessionTtlMs: 600_000,
    sessionMax: 100_000,
    acquireTimeoutMs: 1000,
    idleDropMs: 600_000,
    clock,
    sessionStore: store,
  });
  const parsed = [];
  for (let i = 0; i < 100; i++) parsed.push({ host: `10.0.0.${i}`, port: 8000 });
  pool.defaultPool.ingest(parsed, clock.now(), 3_600_000);
  return pool;
}
let lastShared;
const shared = () => (lastShared = new SharedSessionStore({ ttlMs: 600_000, max: 100_000, clock, link: linkA, keys }));
// The replica that binds sessions first (for `redis hit`), on its own connection.
const other = makePool(new SharedSessionStore({ ttlMs: 600_000, max: 100_000, clock, link: linkB, keys }));

/** user+sys CPU of a process in µs, from /proc (clock ticks of 10 ms: fine over seconds). */
function cpuUs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100;
}

let seq = 0;
// Each case: untimed setup (pool, bindings on the other replica), then the timed loop.
const cases = {
  'local hit (memory store)': async (n) => {
    const pool = makePool(undefined);
    const sub = pool.defaultPool;
    for (let i = 0; i < 1000; i++) pool.select(sub, `h${i}`);
    return () => {
      for (let i = 0; i < n; i++) pool.select(sub, `h${i % 1000}`);
    };
  },
  'local hit (shared store)': async (n) => {
    const pool = makePool(shared());
    const sub = pool.defaultPool;
    for (let i = 0; i < 1000; i++) await pool.acquire({ geo: {}, session: `h${i}` });
    return () => {
      for (let i = 0; i < n; i++) pool.select(sub, `h${i % 1000}`);
    };
  },
  'memory new session': async (n) => {
    const pool = makePool(undefined);
    const base = seq++;
    return async () => {
      for (let i = 0; i < n; i++) await pool.acquire({ geo: {}, session: `m${base}x${i}` });
    };
  },
  'redis miss (GET, bind)': async (n) => {
    const pool = makePool(shared());
    const base = seq++;
    return async () => {
      for (let i = 0; i < n; i++) await pool.acquire({ geo: {}, session: `n${base}x${i}` });
    };
  },
  'redis hit (GET, adopt)': async (n) => {
    const base = seq++;
    for (let i = 0; i < n; i++) await other.acquire({ geo: {}, session: `r${base}x${i}` });
    await linkB.call((c) => c.ping());
    const pool = makePool(shared());
    return async () => {
      for (let i = 0; i < n; i++) await pool.acquire({ geo: {}, session: `r${base}x${i}` });
    };
  },
};

async function measure(n, run) {
  const c0 = cpuUs(process.pid);
  const r0 = cpuUs(redis.pid);
  const t0 = process.hrtime.bigint();
  await run();
  // The last bind's write-through is not awaited by acquire(): let Redis finish before reading its CPU.
  await linkA.call((c) => c.ping());
  const wallNs = Number(process.hrtime.bigint() - t0);
  return { wallUs: wallNs / 1e3 / n, cpuUs: (cpuUs(process.pid) - c0) / n, redisCpuUs: (cpuUs(redis.pid) - r0) / n };
}

const totals = new Map();
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, setup] of Object.entries(cases)) {
    const n = label.startsWith('local hit') ? HIT_ITERATIONS : TRIP_ITERATIONS;
    lastShared = undefined;
    const run = await setup(n);
    const lookupsBefore = lastShared?.lookups ?? 0;
    const r = await measure(n, run);
    const trips = (lastShared?.lookups ?? 0) - lookupsBefore;
    const t = totals.get(label) ?? { n, wallUs: [], cpuUs: [], redisCpuUs: [], trips: 0 };
    t.trips += trips;
    t.wallUs.push(r.wallUs);
    t.cpuUs.push(r.cpuUs);
    t.redisCpuUs.push(r.redisCpuUs);
    totals.set(label, t);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseline = median(totals.get('local hit (memory store)').wallUs);
const rows = [...totals].map(([label, t]) => ({
  case: label,
  'ops/round': t.n,
  'wall µs/op': median(t.wallUs).toFixed(3),
  'swivel CPU µs/op': median(t.cpuUs).toFixed(3),
  'redis CPU µs/op': median(t.redisCpuUs).toFixed(3),
  // Redis GETs per timed op: 1 for the lookup rows, 0 for local hits (a check the row measured what it says).
  'GET/op': (t.trips / (t.n * ROUNDS)).toFixed(2),
  '× local hit': (median(t.wallUs) / baseline).toFixed(1),
}));
console.log(`Node ${process.version}, ${ROUNDS} rounds interleaved, medians; redis-server on 127.0.0.1:${port}`);
console.table(rows);
await Promise.all([linkA.stop(), linkB.stop()]);
stopRedis();
process.removeListener('exit', stopRedis);
