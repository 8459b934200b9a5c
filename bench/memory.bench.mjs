// Memory of `swivel serve`, two builds side by side: idle RSS after start and after a full GC (with
// bare `node` for reference), then RSS and heap per open tunnel with N tunnels held open.
//
//   load (this process) → swivel (child: before | after) → sim upstream (child) → hold target (child)
//
// "before" is MEM_BEFORE (default /work/main/dist/cli/main.js), "after" this tree's dist/cli/main.js.
// Each swivel child runs with --expose-gc and a one-line preload that, on SIGUSR2, runs gc() and
// writes process.memoryUsage() to a file, so "after GC" figures are the child's own. Tunnels are
// CONNECT (or SOCKS5) to a raw TCP target that never sends, held open, counted in the swivel child
// after a GC, then closed. Bounded: MEM_TUNNELS (comma list, default 2000,9000; each at most 9,900,
// since a tunnel is 2 fds in swivel and in the simulator and the hard fd limit here is 20 000),
// MEM_KINDS (connect,socks), MEM_IDLE_SAMPLES (3 starts per build, median and range). Then, on the
// last idle start of each build, "after load": MEM_LOAD (3000) plain requests through the proxy
// (16 keep-alive connections), then MEM_SETTLE_SECONDS (75: serve trims after a minute of quiet) of quiet, and VmRSS as a user sees it
// (no forced GC) and after a GC. Loopback only; stops what it starts.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import { child, openTunnel, rssKiB, startSwivel, stopChild, watchdog } from './lib/procs.mjs';

watchdog(Number(process.env.MEM_MAX_SECONDS ?? 900));
const BEFORE = process.env.MEM_BEFORE ?? '/work/main/dist/cli/main.js';
const AFTER = 'dist/cli/main.js';
if (!existsSync(BEFORE)) {
  console.error(`bench: no baseline build at ${BEFORE}; set MEM_BEFORE to the dist/cli/main.js of the build to compare with`);
  process.exit(2);
}
const LEVELS = (process.env.MEM_TUNNELS ?? '2000,9000').split(',').map((n) => Math.max(1, Math.min(Number(n), 9_900)));
const KINDS = (process.env.MEM_KINDS ?? 'connect,socks')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const CONCURRENCY = 64;
const IDLE_SAMPLES = Math.max(1, Math.min(Number(process.env.MEM_IDLE_SAMPLES ?? 3), 20));
const LOAD = Math.max(0, Math.min(Number(process.env.MEM_LOAD ?? 3000), 100_000));
const SETTLE_S = Math.max(1, Math.min(Number(process.env.MEM_SETTLE_SECONDS ?? 75), 120));

/** `n` plain GETs of the simulator's target through the proxy on `port`, 16 at a time, kept alive. */
async function plainLoad(port, target, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let next = 0;
  let failed = 0;
  const one = () =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: `${target}/`, agent, headers: { host: new URL(target).host } }, (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', resolve);
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        next++;
        await one();
      }
    }),
  );
  agent.destroy();
  return failed;
}

const PRELOAD =
  "data:text/javascript,import{writeFileSync}from'node:fs';process.on('SIGUSR2',()=>{gc();gc();writeFileSync(process.env.BENCH_MEM_FILE,JSON.stringify(process.memoryUsage()))})";

/** gc() in the child, then its memoryUsage() and VmRSS (KiB). */
async function measure(proc) {
  rmSync(proc.memFile, { force: true });
  proc.p.kill('SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await sleep(25);
    try {
      const usage = JSON.parse(readFileSync(proc.memFile, 'utf8'));
      return { rss: rssKiB(proc.pid), heap: usage.heapUsed / 1024, external: (usage.external + usage.arrayBuffers) / 1024 };
    } catch {
      // not written yet
    }
  }
  throw new Error('child did not report its memory');
}

async function start(main, sim, name) {
  const memFile = join(tmpdir(), `swivel-mem-${process.pid}-${name}.json`);
  process.env.BENCH_MEM_FILE = memFile;
  const proc = await startSwivel(main, sim, ['--max-connections', '0'], ['--expose-gc', '--import', PRELOAD]);
  proc.memFile = memFile;
  await sleep(1500); // let start-up settle (first extraction, timers)
  return proc;
}

const mib = (kib) => (kib / 1024).toFixed(1);

// Bare node, for reference.
const bare = child(['-e', "process.stdout.write('up\\n'); setInterval(() => {}, 1000)"]);
await bare.firstLine;
await sleep(500);
const bareRss = rssKiB(bare.p.pid);
await stopChild(bare);

const sim = child(['bench/sim-server.mjs'], { env: { BENCH_UPSTREAMS: '4' } });
const simInfo = JSON.parse(await sim.firstLine);
const hold = child(['bench/bulk-target.mjs']);
const holdPort = JSON.parse(await hold.firstLine).port;

const idle = [];
const perTunnel = [];
for (const [name, main] of [
  ['before', BEFORE],
  ['after', AFTER],
]) {
  // Idle RSS varies by several MiB from one start to the next (when the young generation grew, what
  // the first extraction left), so each build is started IDLE_SAMPLES times; the last one carries on.
  const samples = [];
  let proc;
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    if (proc !== undefined) await stopChild(proc);
    proc = await start(main, simInfo, name);
    const startRss = rssKiB(proc.pid);
    samples.push({ startRss, ...(await measure(proc)) });
  }
  const range = (key) => {
    const v = samples.map((x) => x[key]).sort((a, b) => a - b);
    return `${mib(v[(v.length - 1) >> 1])} (${mib(v[0])}–${mib(v[v.length - 1])})`;
  };
  const row = {
    build: name,
    'RSS after start MiB': range('startRss'),
    'RSS after GC MiB': range('rss'),
    'heap used MiB': range('heap'),
  };
  if (LOAD > 0) {
    const failed = await plainLoad(proc.httpPort, simInfo.target, LOAD);
    const loadedRss = rssKiB(proc.pid);
    await sleep(SETTLE_S * 1000);
    const settledRss = rssKiB(proc.pid);
    const gcd = await measure(proc);
    row[`RSS right after ${LOAD} req MiB`] = mib(loadedRss) + (failed > 0 ? ` (${failed} failed)` : '');
    row[`RSS ${SETTLE_S} s later MiB`] = mib(settledRss);
    row['… after GC MiB'] = mib(gcd.rss);
  }
  idle.push(row);
  for (const kind of KINDS) {
    for (const n of LEVELS) {
      const base = await measure(proc);
      const sockets = [];
      let next = 0;
      let failed = 0;
      const worker = async () => {
        while (next < n) {
          next++;
          try {
            const { socket } = await openTunnel(kind, kind === 'socks' ? proc.socksPort : proc.httpPort, holdPort);
            socket.on('error', () => undefined);
            sockets.push(socket);
          } catch {
            failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await sleep(500);
      const held = await measure(proc);
      perTunnel.push({
        build: name,
        kind,
        tunnels: sockets.length,
        failed,
        'RSS Δ MiB': mib(held.rss - base.rss),
        'RSS B/tunnel': Math.round(((held.rss - base.rss) * 1024) / sockets.length),
        'heap B/tunnel': Math.round(((held.heap - base.heap) * 1024) / sockets.length),
        'external B/tunnel': Math.round(((held.external - base.external) * 1024) / sockets.length),
      });
      for (const s of sockets) s.destroy();
      await sleep(1500); // teardown through swivel and the simulator
    }
  }
  await stopChild(proc);
}

console.log(`memory bench: node ${process.version}; bare \`node -e\` RSS ${mib(bareRss)} MiB; before = ${BEFORE}, after = ${AFTER}`);
console.log(`idle \`swivel serve\` (simulator source, default flags, no admin port), median (min–max) of ${IDLE_SAMPLES} starts:`);
console.table(idle);
console.log('open tunnels held through swivel (CONNECT/SOCKS5 → sim upstream → silent TCP target), after GC in the swivel child:');
console.table(perTunnel);

await Promise.all([stopChild(sim), stopChild(hold)]);
