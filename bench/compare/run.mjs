// `npm run bench:compare`: the side-by-side benchmark of issue 12. Starts, all on 127.0.0.1, a
// target, four proxy-chain upstreams (one process each), and the proxies under test — one upstream
// alone (the baseline), the naive proxy-chain rotator, Squid and HAProxy when installed, and
// swivel (`<build>/cli/main.js serve`) — then runs the same loads against each in interleaved
// rounds, the order rotated every round, and prints medians as markdown. Each measurement charges
// the proxy for the CPU its process tree used in the load window (/proc/<pid>/stat), and checks
// that the client's successes went through the upstreams and reached the target.
// Everything it starts is stopped at the end, on an error, on Ctrl-C/SIGTERM and by a watchdog.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHaproxy, haproxyVersion } from './haproxy.mjs';
import { readKnobs } from './knobs.mjs';
import { loadAverage, machine } from './machine.mjs';
import { ask, forkNode, killAllSync, runToEnd, stopAll, ticksToMicros, treeCpuTicks } from './procs.mjs';
import { squidVersion, startSquid } from './squid.mjs';
import { startSwivel } from './swivel.mjs';
import { aggregate, detailTable, summaryTable } from './table.mjs';
import { runWrk, wrkVersion } from './wrk.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const UPSTREAMS = 4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`${msg}\n`);

/** Which upstream counter and which target counter a load moves. */
const COUNTS = {
  plain: { upstream: 'http', target: 'small' },
  connect: { upstream: 'connect', target: 'small' },
  'bulk-plain': { upstream: 'http', target: 'bulk' },
  'bulk-connect': { upstream: 'connect', target: 'bulk' },
};

/** One absolute-form GET through the proxy: is it up and forwarding? */
function probe(port, targetPort) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: `http://127.0.0.1:${targetPort}/`,
        headers: { host: `127.0.0.1:${targetPort}` },
        agent: false,
        timeout: 2_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(c, targetPort) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) break;
    if (await probe(c.port, targetPort)) return undefined;
    await sleep(200);
  }
  c.proc.kill('SIGKILL');
  return `${c.label}: did not forward a request within 20 s; left out. Log ${c.log ?? '-'}:\n${tail(c.log)}`;
}

export async function main() {
  const k = readKnobs(REPO);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'swivel-compare-'));
  const perMeasurement = k.seconds + 1.5;
  const boundSeconds = Math.ceil(
    60 + 2 * (k.rounds * (2 + k.peers.length + k.swivels.length) * k.loads.length * perMeasurement + 10 * k.warmupSeconds),
  );
  let stopping = false;
  const onSignal = (sig) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping everything this run started`);
    stopAll().finally(() => {
      if (!k.keepTmp) rmSync(tmp, { recursive: true, force: true });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllSync);
  const watchdog = setTimeout(() => {
    log(`watchdog: the run went past its bound of ${boundSeconds} s; stopping (logs kept in ${tmp})`);
    stopAll().finally(() => process.exit(3));
  }, boundSeconds * 1000);
  let ok = false;
  try {
    await run(k, tmp);
    ok = true;
  } finally {
    clearTimeout(watchdog);
    await stopAll();
    if (ok && !k.keepTmp) rmSync(tmp, { recursive: true, force: true });
    else log(`logs and configs kept in ${tmp}`);
  }
}

async function run(k, tmp) {
  const versions = {
    squid: squidVersion() ?? 'not installed',
    haproxy: haproxyVersion() ?? 'not installed',
    wrk: (k.useWrk && wrkVersion()) || 'not used',
  };
  const useWrk = versions.wrk !== 'not used';
  const loadAtStart = loadAverage();
  const notes = [];

  const bulkBytes = k.bulkMiB * 1024 * 1024;
  const target = await forkNode('target', path.join(HERE, 'target.mjs'), [String(bulkBytes)]);
  const upstreams = [];
  for (let i = 0; i < UPSTREAMS; i++) upstreams.push(await forkNode(`upstream-${i + 1}`, path.join(HERE, 'upstream.mjs')));
  const upstreamPorts = upstreams.map((u) => u.port);

  const candidates = [
    { key: 'baseline', label: 'one upstream alone', port: upstreams[0].port, pid: upstreams[0].pid, proc: upstreams[0].proc },
  ];
  const started = [];
  if (k.peers.includes('naive')) {
    const n = await forkNode('naive', path.join(HERE, 'naive-rotator.mjs'), upstreamPorts.map(String));
    started.push({ key: 'naive', label: 'naive proxy-chain rotator', ...n });
  }
  if (k.peers.includes('squid')) {
    const s = await startSquid({ tmp, upstreamPorts });
    if (s.skipped) notes.push(`Squid: skipped (${s.skipped}).`);
    else started.push({ key: 'squid', label: 'Squid (4 parents RR)', ...s });
  }
  if (k.peers.includes('haproxy')) {
    const h = await startHaproxy({ tmp, upstreamPorts, threads: k.haproxyThreads });
    if (h.skipped) notes.push(`HAProxy: skipped (${h.skipped}).`);
    else started.push({ key: 'haproxy', label: 'HAProxy tcp RR', ...h });
  }
  if (k.peers.includes('swivel')) {
    for (const s of k.swivels) {
      const child = await startSwivel({ tmp, label: s.label, mainJs: s.mainJs, upstreamPorts, extraArgs: k.swivelArgs });
      started.push({ key: `swivel:${s.label}`, ...child, label: s.label });
    }
  }
  for (const c of started) {
    const problem = await waitReady(c, target.port);
    if (problem) notes.push(problem);
    else candidates.push(c);
  }

  async function snapshot(c) {
    const ticks = treeCpuTicks(c.pid);
    const up = await Promise.all(upstreams.map((u) => ask(u, { type: 'stats' })));
    const tg = await ask(target, { type: 'stats' });
    return { ticks, up: up.map((m) => m.handled), served: tg.served };
  }

  async function load(c, mode, seconds) {
    if (mode === 'plain' && useWrk)
      return runWrk({ tmp, proxyPort: c.port, targetPort: target.port, connections: k.connections, threads: k.wrkThreads, seconds });
    const bulk = mode.startsWith('bulk');
    const spec = {
      mode,
      proxyPort: c.port,
      targetPort: target.port,
      concurrency: mode === 'plain' ? k.connections : bulk ? 1 : k.connectConcurrency,
      seconds,
      maxOps: bulk ? k.bulkCount : k.maxOps,
      bulkBytes,
    };
    const r = await runToEnd('loadgen', process.execPath, [path.join(HERE, 'loadgen.mjs'), JSON.stringify(spec)], (seconds + 30) * 1000);
    const line = r.stdout.trim().split('\n').pop();
    if (r.code !== 0 || !line) throw new Error(`loadgen ${mode} against ${c.label} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return JSON.parse(line);
  }

  async function measure(c, mode, round) {
    await sleep(300); // let the previous load's connections close outside this window
    const before = await snapshot(c);
    const r = await load(c, mode, k.seconds);
    await sleep(250); // and charge this load's teardown to this window
    const after = await snapshot(c);
    const counts = COUNTS[mode];
    const cpuUs = ticksToMicros(after.ticks - before.ticks);
    const res = {
      round,
      load: mode,
      key: c.key,
      label: c.label,
      ...r,
      opsPerSec: r.ok / r.seconds,
      cpuUs,
      cpuPerOpUs: r.ok > 0 ? cpuUs / r.ok : NaN,
      upstreamHits: after.up.map((u, i) => u[counts.upstream] - before.up[i][counts.upstream]),
      targetHits: after.served[counts.target] - before.served[counts.target],
      // Traffic of the other kind in this window (should be 0): a probe, a retry, a late request.
      strayUpstream: after.up.reduce((a, u, i) => a + u.http + u.connect - before.up[i].http - before.up[i].connect, 0),
      strayTarget: Object.keys(after.served).reduce((a, key) => a + after.served[key] - before.served[key], 0),
    };
    const errs = Object.values(r.errors).reduce((a, b) => a + b, 0);
    log(
      `  ${mode.padEnd(12)} ${c.label.padEnd(26)} ${res.opsPerSec.toFixed(1).padStart(8)} ops/s  p99 ${(r.p99Ms ?? NaN).toFixed(2).padStart(7)} ms  ` +
        `${(res.cpuPerOpUs ?? NaN).toFixed(0).padStart(6)} µs/op  errors ${errs}  upstream hits ${res.upstreamHits.join('/')} for ${r.ok} ok`,
    );
    res.strayUpstream -= res.upstreamHits.reduce((a, b) => a + b, 0);
    res.strayTarget -= res.targetHits;
    return res;
  }

  log(
    `bench:compare: ${candidates.map((c) => c.label).join(', ')}; loads ${k.loads.join(', ')}; ${k.rounds} rounds (bounded to ${k.seconds} s each)`,
  );
  for (const n of notes) log(`note: ${n}`);
  if (k.warmupSeconds > 0) {
    log(`warm-up (${k.warmupSeconds} s plain + ${k.warmupSeconds} s CONNECT each, not measured)`);
    for (const c of candidates) {
      await load(c, 'plain', k.warmupSeconds);
      await load(c, 'connect', k.warmupSeconds);
    }
  }
  const results = [];
  for (let round = 1; round <= k.rounds; round++) {
    log(`round ${round}/${k.rounds}`);
    const order = candidates.map((_, i) => candidates[(i + round - 1) % candidates.length]);
    for (const mode of k.loads) {
      for (const c of order) {
        if (c.gone) continue;
        try {
          results.push(await measure(c, mode, round));
        } catch (err) {
          // A proxy that dies mid-run is left out of the rest (its rows keep the rounds it finished);
          // the baseline's upstream or the target dying ends the run, nothing is comparable after that.
          const exited = c.proc.exitCode !== null || c.proc.signalCode !== null;
          if (!exited || c.key === 'baseline') throw err;
          c.gone = true;
          notes.push(
            `${c.label}: exited (${c.proc.exitCode ?? c.proc.signalCode}) during ${mode} of round ${round}; left out from there. ${c.log ? `Log ${c.log}:\n${tail(c.log)}` : ''}`,
          );
          log(`note: ${notes.at(-1)}`);
        }
      }
    }
  }
  const loadAtEnd = loadAverage();

  const rows = aggregate(results, candidates, k.loads);
  const m = machine(REPO, versions);
  const out = [
    `## bench:compare, ${m.date}`,
    '',
    `Machine: ${m.cpus}; ${m.kernel}; Node ${m.node}; proxy-chain ${m['proxy-chain']}; this checkout ${m.swivel}; ${m.squid}; ${m.haproxy}; wrk: ${m.wrk}.`,
    `Load average (1/5/15 min): ${loadAtStart} at start, ${loadAtEnd} at end.`,
    `swivel builds: ${k.swivels.map((s) => `${s.label} = ${path.relative(REPO, s.mainJs) || s.mainJs}`).join(', ')}${k.swivelArgs.length ? ` (extra flags: ${k.swivelArgs.join(' ')})` : ''}.`,
    `Run: ${k.rounds} rounds, order rotated each round; plain: ${useWrk ? 'wrk' : 'Node client'}, ${k.connections} keep-alive connections, ${k.seconds} s; ` +
      `CONNECT: ${k.connectConcurrency} concurrent, a new tunnel per op, one small GET inside, ${k.seconds} s; ` +
      `bulk: ${k.bulkCount} × ${k.bulkMiB} MiB one after another (cap ${k.seconds} s). Medians over rounds, (min–max).`,
    '',
    summaryTable(rows, candidates, k),
    '',
    detailTable(rows, k),
    '',
    'Proxy CPU is user+system of the proxy process tree over the load window (/proc/<pid>/stat); for "one upstream alone" it is that upstream.',
    '"upstream hits ÷ ok": requests (or CONNECTs) counted by the four upstreams over the successes the client counted; "target hits ÷ ok" the same at the target.',
    ...notes.map((n) => `Note: ${n}`),
  ].join('\n');
  process.stdout.write(`${out}\n`);
  if (k.jsonOut) writeFileSync(k.jsonOut, JSON.stringify({ machine: m, knobs: k, results }, null, 2));
}
