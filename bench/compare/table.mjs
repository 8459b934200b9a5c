// Medians over rounds and the markdown tables `bench:compare` prints.
const LOAD_LABEL = {
  plain: 'plain HTTP',
  connect: 'CONNECT',
  'bulk-plain': 'bulk plain',
  'bulk-connect': 'bulk CONNECT',
};
const isBulk = (load) => load.startsWith('bulk');

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
function withRange(xs, digits) {
  const s = xs.filter((x) => Number.isFinite(x));
  if (s.length === 0) return '–';
  const m = fmt(median(s), digits);
  return s.length === 1 ? m : `${m} (${fmt(Math.min(...s), digits)}–${fmt(Math.max(...s), digits)})`;
}
/** CPU per operation: µs for request loads, ms per download for bulk. */
const cpuCell = (load, xs) =>
  isBulk(load)
    ? `${withRange(
        xs.map((x) => x / 1000),
        1,
      )} ms`
    : `${withRange(xs, 0)} µs`;

/** One row per (load, proxy) with medians over rounds, totals, and the forwarding checks. */
export function aggregate(results, candidates, loads) {
  const rows = [];
  for (const load of loads) {
    for (const c of candidates) {
      const mine = results.filter((r) => r.load === load && r.key === c.key);
      if (mine.length === 0) continue;
      const ratios = mine.map((r) => {
        const base = results.find((b) => b.load === load && b.round === r.round && b.key === 'baseline');
        return base && base.opsPerSec > 0 ? r.opsPerSec / base.opsPerSec : NaN;
      });
      const sum = (f) => mine.reduce((a, r) => a + f(r), 0);
      const hits = [0, 1, 2, 3].map((i) => sum((r) => r.upstreamHits[i] ?? 0));
      const allHits = hits.reduce((a, b) => a + b, 0);
      const errors = {};
      for (const r of mine) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
      rows.push({
        load,
        key: c.key,
        label: c.label,
        opsPerSec: median(mine.map((r) => r.opsPerSec)),
        ratios,
        p50Ms: median(mine.map((r) => r.p50Ms)),
        p99Ms: median(mine.map((r) => r.p99Ms)),
        cpuPerOpUs: mine.map((r) => r.cpuPerOpUs),
        ops: sum((r) => r.ops),
        ok: sum((r) => r.ok),
        errors,
        upstreamShare: hits.map((h) => (allHits === 0 ? 0 : (100 * h) / allHits)),
        viaUpstreams:
          allHits /
          Math.max(
            1,
            sum((r) => r.ok),
          ),
        atTarget:
          sum((r) => r.targetHits) /
          Math.max(
            1,
            sum((r) => r.ok),
          ),
      });
    }
  }
  return rows;
}

function errorCell(r) {
  const n = Object.values(r.errors).reduce((a, b) => a + b, 0);
  if (n === 0) return `0 / ${r.ops}`;
  return `${n} / ${r.ops} (${Object.entries(r.errors)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`;
}

function markdown(header, lines, textColumns) {
  const out = [`| ${header.join(' | ')} |`, `| ${header.map((h, i) => (i < textColumns ? '---' : '---:')).join(' | ')} |`];
  for (const l of lines) out.push(`| ${l.join(' | ')} |`);
  return out.join('\n');
}

/** The full table: every load × proxy, medians over rounds (min–max in parentheses). */
export function detailTable(rows, { bulkMiB }) {
  const unit = (load) => (load === 'plain' ? 'req' : load === 'connect' ? 'tunnel' : `${bulkMiB} MiB`);
  return markdown(
    [
      'load',
      'proxy',
      'ops/s',
      '× one upstream',
      'p50 ms',
      'p99 ms',
      'proxy CPU per op',
      'errors / ops',
      'upstream hits ÷ ok',
      'spread u1/u2/u3/u4 %',
      'target hits ÷ ok',
    ],
    rows.map((r) => [
      `${LOAD_LABEL[r.load]} (per ${unit(r.load)})`,
      r.label,
      fmt(r.opsPerSec, isBulk(r.load) ? 1 : 0),
      r.key === 'baseline' ? '1' : withRange(r.ratios, 2),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      cpuCell(r.load, r.cpuPerOpUs),
      errorCell(r),
      `${fmt(r.viaUpstreams, 2)}${r.strayUpstream ? ` (+${r.strayUpstream} other)` : ''}`,
      r.upstreamShare.map((s) => s.toFixed(0)).join('/'),
      `${fmt(r.atTarget, 2)}${r.strayTarget ? ` (+${r.strayTarget} other)` : ''}`,
    ]),
    2,
  );
}

/** The headline, shaped like issue 12's table: one column per proxy, median (min–max). */
export function summaryTable(rows, candidates, { bulkMiB }) {
  const peers = candidates.filter((c) => c.key !== 'baseline');
  const cell = (load, key, f) => {
    const r = rows.find((x) => x.load === load && x.key === key);
    return r === undefined ? '–' : f(r);
  };
  const lines = [];
  const loads = [...new Set(rows.map((r) => r.load))];
  for (const load of loads) {
    if (!isBulk(load))
      lines.push([
        `${LOAD_LABEL[load]}, ops/s as a ratio of one upstream alone`,
        ...peers.map((c) => cell(load, c.key, (r) => withRange(r.ratios, 2))),
      ]);
    lines.push([
      isBulk(load)
        ? `${bulkMiB} MiB ${LOAD_LABEL[load].replace('bulk ', '')} download, proxy CPU ms`
        : `${LOAD_LABEL[load]}, proxy CPU µs per ${load === 'plain' ? 'request' : 'tunnel'}`,
      ...peers.map((c) =>
        cell(load, c.key, (r) =>
          isBulk(load)
            ? withRange(
                r.cpuPerOpUs.map((x) => x / 1000),
                1,
              )
            : withRange(r.cpuPerOpUs, 0),
        ),
      ),
    ]);
  }
  return markdown(['path', ...peers.map((c) => c.label)], lines, 1);
}
