// Selection hot path: EndpointPool.select() per request, with and without sessions.
// Repeatable: fixed pool sizes, fixed iteration counts (SELECT_ITERATIONS), manual clock.
// Run after `npm run build`: node bench/select.bench.mjs
const load = async (p) => {
  try {
    return await import(p);
  } catch {
    console.error(`cannot import ${p}: run \`npm run build\` first`);
    process.exit(1);
  }
};
const { EndpointPool, ManualClock } = await load('swivel');

const iterations = Math.min(Number(process.env.SELECT_ITERATIONS ?? 2_000_000), 20_000_000);

function makePool(size, rotate) {
  const clock = new ManualClock();
  const pool = new EndpointPool({
    defaultGeo: {},
    rotate,
    sessionTtlMs: 600_000,
    sessionMax: 100_000,
    acquireTimeoutMs: 1000,
    idleDropMs: 600_000,
    clock,
    random: Math.random,
  });
  const parsed = [];
  for (let i = 0; i < size; i++) parsed.push({ host: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 10000 + (i % 1000) });
  pool.defaultPool.ingest(parsed, clock.now(), 3_600_000);
  return pool;
}

function run(label, size, rotate, sessions) {
  const pool = makePool(size, rotate);
  const sub = pool.defaultPool;
  const ids = [];
  for (let i = 0; i < sessions; i++) ids.push(`s${i}`);
  // warm-up
  for (let i = 0; i < 100_000; i++) pool.select(sub, sessions ? ids[i % sessions] : undefined);
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) pool.select(sub, sessions ? ids[i % sessions] : undefined);
  const ns = Number(process.hrtime.bigint() - t0);
  const heapAfter = process.memoryUsage().heapUsed;
  return {
    case: label,
    endpoints: size,
    rotate,
    sessions,
    'ns/select': (ns / iterations).toFixed(1),
    'Mselect/s': ((iterations / ns) * 1e3).toFixed(2),
    'heap Δ MiB': ((heapAfter - heapBefore) / 2 ** 20).toFixed(1),
  };
}

const rows = [
  run('rotate', 10, 'round-robin', 0),
  run('rotate', 1000, 'round-robin', 0),
  run('rotate', 1000, 'random', 0),
  run('rotate', 1000, 'least-used', 0),
  run('sessions', 1000, 'round-robin', 1000),
  run('sessions', 1000, 'round-robin', 50_000),
];
console.log(`select bench: ${iterations} selections per case, node ${process.version}`);
console.table(rows);
