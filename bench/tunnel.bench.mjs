// Proxy CPU per tunnel and per 10 MiB through CONNECT and SOCKS5, two swivel builds side by side.
//
//   load (this process) → swivel (child: before | after) → sim upstream (child) → target (child)
//
// "before" is TUNNEL_BEFORE (default /work/main/dist/cli/main.js, the main branch's build), "after" is
// this tree's dist/cli/main.js. Both run at once against one simulator; every round measures each
// case on both, alternating which goes first, and the CPU a case cost is the swivel child's
// utime+stime from /proc/<pid>/stat (all threads, so GC helper threads count) across the case.
// Before the rounds each swivel serves TUNNEL_WARM plain requests (heap grown as after real load, so
// a GC cliff on bulk shows up). Bounded by counts; loopback only; stops what it starts.
//
// Knobs: TUNNEL_ROUNDS (5), TUNNEL_SMALL tunnels per small case (400), TUNNEL_BULK transfers of
// TUNNEL_BULK_MIB per bulk case (4 × 10), TUNNEL_CONCURRENCY (8), TUNNEL_WARM (2000), TUNNEL_CASES
// (comma list of case indexes, default all), TUNNEL_MAX_SECONDS (900, then it gives up).
import http from 'node:http';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchdog, child, cpuMs, drainToEnd, openTunnel, rssKiB, startSwivel, stopChild } from './lib/procs.mjs';

const bounded = (name, def, max) => Math.max(1, Math.min(Number(process.env[name] ?? def), max));
const ROUNDS = bounded('TUNNEL_ROUNDS', 5, 50);
const SMALL = bounded('TUNNEL_SMALL', 400, 20_000);
const BULK = bounded('TUNNEL_BULK', 4, 100);
const BULK_MIB = bounded('TUNNEL_BULK_MIB', 10, 1024);
const CONCURRENCY = bounded('TUNNEL_CONCURRENCY', 8, 256);
const WARM = Math.min(Number(process.env.TUNNEL_WARM ?? 2000), 100_000);
const BEFORE = process.env.TUNNEL_BEFORE ?? '/work/main/dist/cli/main.js';
const AFTER = 'dist/cli/main.js';
if (!existsSync(BEFORE)) {
  console.error(`bench: no baseline build at ${BEFORE}; set TUNNEL_BEFORE to the dist/cli/main.js of the build to compare with`);
  process.exit(2);
}
const BULK_BYTES = BULK_MIB * 1024 * 1024;
watchdog(Number(process.env.TUNNEL_MAX_SECONDS ?? 900));

const sim = child(['bench/sim-server.mjs'], { env: { BENCH_UPSTREAMS: '4' } });
const simInfo = JSON.parse(await sim.firstLine);
const bulk = child(['bench/bulk-target.mjs']);
const bulkPort = JSON.parse(await bulk.firstLine).port;
const echoPort = Number(new URL(simInfo.target).port);

const builds = [
  { name: 'before', main: BEFORE },
  { name: 'after', main: AFTER },
];
for (const b of builds) b.proc = await startSwivel(b.main, simInfo);

async function pool(count, fn) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

/** One tunnel, one small request/answer inside (the echo target's GET /ip), then close. */
async function smallTunnel(kind, port) {
  const { socket, rest } = await openTunnel(kind, port, echoPort);
  socket.write(`GET /ip HTTP/1.1\r\nHost: 127.0.0.1:${echoPort}\r\nConnection: close\r\n\r\n`);
  const bytes = await drainToEnd(socket, rest);
  if (bytes < 20) throw new Error(`short answer (${bytes} bytes)`);
}

async function download(kind, port) {
  const { socket, rest } = await openTunnel(kind, port, bulkPort);
  socket.write(`D ${BULK_BYTES}\n`);
  const bytes = await drainToEnd(socket, rest);
  if (bytes !== BULK_BYTES) throw new Error(`download: ${bytes} of ${BULK_BYTES} bytes`);
}

const UPLOAD_CHUNK = Buffer.alloc(64 * 1024, 0x62);
async function upload(kind, port) {
  const { socket, rest } = await openTunnel(kind, port, bulkPort);
  socket.write(`U ${BULK_BYTES}\n`);
  const answer = drainToEnd(socket, rest);
  let left = BULK_BYTES;
  while (left > 0) {
    const n = Math.min(left, UPLOAD_CHUNK.length);
    left -= n;
    if (!socket.write(n === UPLOAD_CHUNK.length ? UPLOAD_CHUNK : UPLOAD_CHUNK.subarray(0, n))) {
      await new Promise((r) => socket.once('drain', r));
    }
  }
  if ((await answer) !== 3) throw new Error('upload not acknowledged');
}

const cases = [
  {
    name: 'CONNECT small tunnel',
    unit: 'µs/tunnel',
    count: SMALL,
    per: 1000 / SMALL,
    run: (p) => pool(SMALL, () => smallTunnel('connect', p.httpPort)),
  },
  {
    name: 'SOCKS5 small tunnel',
    unit: 'µs/tunnel',
    count: SMALL,
    per: 1000 / SMALL,
    run: (p) => pool(SMALL, () => smallTunnel('socks', p.socksPort)),
  },
  {
    name: `CONNECT download ${BULK_MIB} MiB`,
    unit: 'ms/10MiB',
    per: 10 / (BULK * BULK_MIB),
    run: (p) => pool(BULK, () => download('connect', p.httpPort)),
  },
  {
    name: `SOCKS5 download ${BULK_MIB} MiB`,
    unit: 'ms/10MiB',
    per: 10 / (BULK * BULK_MIB),
    run: (p) => pool(BULK, () => download('socks', p.socksPort)),
  },
  {
    name: `CONNECT upload ${BULK_MIB} MiB`,
    unit: 'ms/10MiB',
    per: 10 / (BULK * BULK_MIB),
    run: (p) => pool(BULK, () => upload('connect', p.httpPort)),
  },
];
const only = process.env.TUNNEL_CASES?.split(',').map((s) => s.trim());
const selected = only === undefined ? cases : cases.filter((c, i) => only.includes(String(i)));

// Warm-up: plain HTTP requests through each build, so the heap looks like a process after load.
if (WARM > 0) {
  for (const b of builds) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    await pool(WARM, () => plain(agent, b.proc.httpPort));
    agent.destroy();
  }
}
function plain(agent, port) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `${simInfo.target}/ip`, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const results = new Map(); // `${case}|${build}` → values
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const c of selected) {
    for (const b of order) {
      await sleep(50);
      const cpu0 = cpuMs(b.proc.pid);
      if (process.env.TUNNEL_VERBOSE) console.error(`round ${round + 1}: ${c.name} on ${b.name}`);
      await c.run(b.proc);
      await sleep(100); // let teardown of the last tunnels land inside the measurement
      const value = (cpuMs(b.proc.pid) - cpu0) * c.per;
      const key = `${c.name}|${b.name}`;
      results.set(key, [...(results.get(key) ?? []), value]);
    }
  }
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const rows = selected.map((c) => {
  const before = results.get(`${c.name}|before`);
  const after = results.get(`${c.name}|after`);
  return {
    case: c.name,
    unit: c.unit,
    'before median': fmt(median(before)),
    'after median': fmt(median(after)),
    'after/before': (median(after) / median(before)).toFixed(2),
    'before min..max': `${fmt(Math.min(...before))}..${fmt(Math.max(...before))}`,
    'after min..max': `${fmt(Math.min(...after))}..${fmt(Math.max(...after))}`,
  };
});
console.log(
  `tunnel bench: ${ROUNDS} rounds, ${SMALL} small tunnels / ${BULK} × ${BULK_MIB} MiB per case, concurrency ${CONCURRENCY}, warm-up ${WARM} plain requests; node ${process.version}`,
);
console.log(`before = ${BEFORE}, after = ${AFTER}; CPU = swivel child's utime+stime (/proc, 10 ms ticks)`);
console.table(rows);
console.log(
  `RSS at end: before ${(rssKiB(builds[0].proc.pid) / 1024).toFixed(1)} MiB, after ${(rssKiB(builds[1].proc.pid) / 1024).toFixed(1)} MiB`,
);

for (const b of builds) await stopChild(b.proc);
await Promise.all([stopChild(sim), stopChild(bulk)]);
