// Extraction path bench: parse + address filter + ingest of one answer, beside JSON.parse of the same
// body, at 1 000, 10 000 and 100 000 entries.
//
//   npm run build && node bench/extract.bench.mjs
//   SWIVEL_BASE_DIST=/tmp/swivel-base/dist node bench/extract.bench.mjs   # A/B against another build
//
// Knobs (env):
//   EXTRACT_ROUNDS     timed rounds per size and build, 1..50, default 7 (the median is shown)
//   EXTRACT_SIZES      comma-separated entry counts, default 1000,10000,100000 (each 1..200000)
//   SWIVEL_BASE_DIST   dist/ directory of another build (e.g. main) to run interleaved with this one
//
// Each round runs in a fresh child process per build, builds alternating (A B A B …), so both see
// the same machine load. Times are CPU time of the process (user + sys from process.cpuUsage, GC
// threads included), not wall time: the machine is shared. Small bodies repeat each phase so a
// phase takes at least a few milliseconds. `ratio` = (parse + filter + ingest) / JSON.parse, JSON.parse
// being the cheapest of three back-to-back parses of the body in each run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { jsonBody } from './bodies.mjs';
import { boundedInt } from './lib/knobs.mjs';

const self = fileURLToPath(import.meta.url);

async function child(dist, entries, repeat) {
  const { parseExtractionBody, EndpointPool, ManualClock } = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  const { createAddressFilter } = await import(pathToFileURL(resolve(dist, 'pool/address-filter.js')).href);
  const body = jsonBody(entries);
  const reject = createAddressFilter({ allowPrivate: false, ownPorts: [8080] });
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const newTotals = () => ({ json: 0, parse: 0, filter: 0, ingest: 0 });
  // Every run adds its times to a totals object, the warm-up ones to a scratch one: a run that
  // recorded only when timed left the optimised runOnce without feedback for those stores, and the
  // first timed run deoptimised there and ran the rest of its body (the filter loop at 10 000
  // entries) in the interpreter; the filter column then showed 0.3-0.5 ms instead of 0.05.
  const runOnce = (totals) => {
    const clock = new ManualClock();
    const pool = new EndpointPool({
      defaultGeo: {},
      rotate: 'round-robin',
      sessionTtlMs: 600_000,
      sessionMax: 100_000,
      acquireTimeoutMs: 1_000,
      idleDropMs: 600_000,
      clock,
    });
    // JSON.parse: the cheapest of three back-to-back parses (one parse alone sometimes carries a
    // collection of the previous round's garbage, which made the ratio swing 2-10x).
    let best = Infinity;
    let t = cpu();
    let t2 = t;
    for (let k = 0; k < 3; k++) {
      JSON.parse(body);
      t2 = cpu();
      best = Math.min(best, t2 - t);
      t = t2;
    }
    totals.json += best;
    const result = parseExtractionBody(body, 'application/json');
    t2 = cpu();
    totals.parse += t2 - t;
    t = t2;
    const eps = filterInPlace(result, reject);
    t2 = cpu();
    totals.filter += t2 - t;
    t = t2;
    const { added } = pool.ingest(pool.defaultPool, eps, clock.now(), 3_600_000);
    t2 = cpu();
    totals.ingest += t2 - t;
    if (added !== entries) throw new Error(`ingested ${added} of ${entries}`);
    return pool;
  };
  // Warm up so the compiled code is measured, then one timed pass of `repeat` runs.
  const scratch = newTotals();
  for (let i = 0; i < Math.max(2, Math.ceil(200_000 / entries)); i++) runOnce(scratch);
  const totals = newTotals();
  let keep;
  for (let i = 0; i < repeat; i++) keep = runOnce(totals);
  if (keep === undefined) throw new Error('unreachable');
  for (const k of Object.keys(totals)) totals[k] /= repeat;
  process.stdout.write(JSON.stringify(totals));
}

/**
 * The refresher's filter (filterBatchInSlices without its turns): in place, no second array. A
 * build whose parser returns columns (ParseResult.batch, since the columnar store) is filtered as
 * columns, as the refresher does; an older build through the objects. A function of its own, so it
 * is optimised on its own feedback: inside runOnce it ran at whatever tier runOnce was in.
 */
function filterInPlace(result, reject) {
  const batch = result.batch;
  if (batch !== undefined) {
    let w = 0;
    for (let r = 0; r < batch.length; r++) {
      const object = batch.objectAt(r);
      const reason = object !== undefined ? reject(object) : reject.v4(batch.addr[r], batch.port[r]);
      if (reason === undefined) {
        if (w !== r) batch.move(r, w);
        w++;
      }
    }
    batch.truncate(w);
    return batch;
  }
  const eps = result.endpoints;
  let w = 0;
  for (let r = 0; r < eps.length; r++) if (reject(eps[r]) === undefined) eps[w++] = eps[r];
  eps.length = w;
  return eps;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const rounds = boundedInt(process.env.EXTRACT_ROUNDS, 7, 1, 50, 'EXTRACT_ROUNDS');
  const sizes = (process.env.EXTRACT_SIZES ?? '1000,10000,100000')
    .split(',')
    .map((s) => boundedInt(s.trim(), 1000, 1, 200_000, 'EXTRACT_SIZES'));
  const here = resolve(fileURLToPath(new URL('../dist', import.meta.url)));
  const builds = [{ name: 'this', dist: here }];
  if (process.env.SWIVEL_BASE_DIST) builds.unshift({ name: 'base', dist: resolve(process.env.SWIVEL_BASE_DIST) });
  const rows = [];
  for (const entries of sizes) {
    const repeat = Math.max(1, Math.round(20_000 / entries));
    const samples = new Map(builds.map((b) => [b.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const b of builds) {
        const out = spawnSync(process.execPath, [self, '--child', b.dist, String(entries), String(repeat)], {
          encoding: 'utf8',
          timeout: 120_000,
        });
        if (out.status !== 0) throw new Error(`child ${b.name}/${entries} failed: ${out.stderr}`);
        samples.get(b.name).push(JSON.parse(out.stdout));
      }
    }
    for (const b of builds) {
      const s = samples.get(b.name);
      const m = (k) => median(s.map((x) => x[k]));
      const ratios = s.map((x) => (x.parse + x.filter + x.ingest) / x.json);
      rows.push({
        build: b.name,
        entries: entries.toLocaleString('en-US'),
        'JSON.parse ms': m('json').toFixed(2),
        'parse ms': m('parse').toFixed(2),
        'filter ms': m('filter').toFixed(2),
        'ingest ms': m('ingest').toFixed(2),
        'total ms': median(s.map((x) => x.parse + x.filter + x.ingest)).toFixed(2),
        ratio: median(ratios).toFixed(1),
      });
    }
  }
  console.log(`extraction (parse + filter + ingest) vs JSON.parse, CPU ms, median of ${rounds} rounds, node ${process.version}`);
  console.table(rows);
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
else await main();
