// Extraction economy: how many of the endpoints swivel pays for carry traffic, and how many API
// calls it makes per 1,000 requests, under steady, session, bursty and idle load, with
// --extract-sizing demand beside --extract-sizing fixed (every call asks --num, swivel's old
// behaviour) in the same run. Real sockets on loopback (simulated provider, upstreams, echo target);
// time moves on a ManualClock, so a run of ten endpoint lifetimes takes seconds, and the loops are
// bounded by count. Prints one table.
//
//   node bench/economy.bench.mjs
//   ECONOMY_LIFETIMES=20 ECONOMY_LIFE_MIN=5 node bench/economy.bench.mjs
import http from 'node:http';
import { ManualClock, SwivelApp, loadConfig, startSimulation } from 'swivel';

const LIFETIMES = intEnv('ECONOMY_LIFETIMES', 10, 2, 100);
const LIFE_MIN = intEnv('ECONOMY_LIFE_MIN', 2, 1, 60);
const NUM = intEnv('ECONOMY_NUM', 20, 1, 200);
const POOL_MIN = 3;
const LIFE_MS = LIFE_MIN * 60_000;
const STEP_MS = 1_000;

/**
 * Loads: at each 1 s step of the clock, how many requests, and with which username.
 * - steady: one rotating request every 4 s (picks per lifetime = lifetime / 4 s).
 * - light: one rotating request every 12 s (fewer picks per lifetime than --num).
 * - sessions: a new session every 8 s, each used for 4 requests over the next 4 s.
 * - bursty: 30 s of 2 requests/s, then quiet for the rest of each lifetime.
 * - idle: nothing at all.
 */
const LOADS = {
  steady: (t) => (t % 4_000 === 0 ? [undefined] : []),
  light: (t) => (t % 12_000 === 0 ? [undefined] : []),
  sessions: (t) => (t % 1_000 === 0 && t % 8_000 < 4_000 ? [`session-s${Math.floor(t / 8_000)}`] : []),
  bursty: (t) => (t % LIFE_MS < 30_000 ? [undefined, undefined] : []),
  idle: () => [],
};

function intEnv(name, def, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${raw}`);
  return n;
}

function get(proxyPort, url, username) {
  return new Promise((resolve, reject) => {
    const headers = username === undefined ? {} : { 'proxy-authorization': `Basic ${Buffer.from(`${username}:x`).toString('base64')}` };
    const req = http.request({ host: '127.0.0.1', port: proxyPort, path: url, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function run(load, sizing) {
  const sim = await startSimulation({ upstreams: 80 });
  const clock = new ManualClock();
  const config = loadConfig(
    {
      'api-base': sim.apiBase,
      'app-key': sim.appKey,
      'allow-private-endpoints': true,
      port: 0,
      'socks-port': 0,
      num: NUM,
      life: LIFE_MIN,
      'pool-min': POOL_MIN,
      'extract-sizing': sizing,
    },
    {},
  );
  const app = new SwivelApp(config, { clock });
  let requests = 0;
  let failed = 0;
  let warm;
  try {
    await app.start();
    const url = `${sim.target.url}/ip`;
    for (let t = 0; t < LIFETIMES * LIFE_MS; t += STEP_MS) {
      if (t === LIFE_MS) warm = app.stats().extraction;
      for (const username of LOADS[load](t)) {
        requests++;
        if ((await get(app.http.port, url, username)) !== 200) failed++;
      }
      await clock.advanceAsync(STEP_MS);
      await app.refresher.settled();
    }
    const x = app.stats().extraction;
    const used = x.used - warm.used;
    const wasted = x.wasted - warm.wasted;
    return {
      load,
      sizing,
      requests,
      failed,
      calls: x.calls,
      extracted: x.extracted,
      used: x.used,
      wasted: x.wasted,
      utilization: x.utilization,
      steady: used + wasted === 0 ? null : used / (used + wasted),
      perLifetime: (x.extracted / LIFETIMES).toFixed(1),
    };
  } finally {
    await app.stop();
    await sim.close();
  }
}

const pct = (r) => (r === null ? '-' : `${(r * 100).toFixed(1)} %`);
const rows = [];
for (const load of Object.keys(LOADS)) {
  for (const sizing of ['demand', 'fixed']) rows.push(await run(load, sizing));
}

console.log(
  `economy: ${LIFETIMES} lifetimes of ${LIFE_MIN} min on a manual clock, --num ${NUM}, --pool-min ${POOL_MIN}, round-robin, ${process.version}`,
);
const header = [
  'load',
  'sizing',
  'requests',
  'failed',
  'calls',
  'calls/1k req',
  'extracted',
  'per lifetime',
  'used',
  'wasted',
  'utilization',
  'after 1st life',
];
const table = [header];
for (const r of rows) {
  table.push([
    r.load,
    r.sizing,
    String(r.requests),
    String(r.failed),
    String(r.calls),
    r.requests === 0 ? '-' : ((r.calls * 1000) / r.requests).toFixed(1),
    String(r.extracted),
    r.perLifetime,
    String(r.used),
    String(r.wasted),
    pct(r.utilization),
    pct(r.steady),
  ]);
}
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table) console.log(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
// Extracted-per-lifetime ratio, demand vs fixed: what the provider bills, side by side.
for (const load of Object.keys(LOADS)) {
  const d = rows.find((r) => r.load === load && r.sizing === 'demand');
  const f = rows.find((r) => r.load === load && r.sizing === 'fixed');
  console.log(`${load}: demand extracts ${((d.extracted / f.extracted) * 100).toFixed(0)} % of what fixed does`);
}
process.exitCode = rows.some((r) => r.failed > 0) ? 1 : 0;
