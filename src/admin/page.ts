/**
 * The status page: one self-contained HTML document (no external assets, no script beyond a
 * meta refresh), dense like HAProxy's stats page: one table per sub-pool, one row per endpoint,
 * colour per state. Rendered from the stats snapshot, which carries no credentials; every value
 * is escaped.
 */
import type { SwivelStats } from '../stats.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** 93s → `1m33s`. */
export function shortDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** 0.9734 → `97.3 %`; `-` while nothing is known. */
export function percent(ratio: number | null): string {
  return ratio === null ? '-' : `${(Math.round(ratio * 1000) / 10).toFixed(1)} %`;
}

/** Picks per lifetime for the page and `swivel status`: `cold` while nothing is measured. */
export function demandText(picks: number | null): string {
  return picks === null ? 'cold' : `${Math.round(picks)} picks/lifetime`;
}

const STYLE = `body{font:12px/1.3 Verdana,Arial,sans-serif;margin:8px;color:#000;background:#fff}
h1{font-size:15px;margin:0 0 6px}h2{font-size:13px;margin:10px 0 2px;background:#20377f;color:#fff;padding:2px 4px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:1px 4px;text-align:right;white-space:nowrap}
th{background:#c8c8d2}td.l,th.l{text-align:left}tr.usable td{background:#c0ffc0}tr.ejected td{background:#ff9090}
tr.expired td{background:#cccccc}.sum td{background:#eee}.info{margin:2px 0 6px}`;

export function renderStatusPage(s: SwivelStats, refreshSeconds = 2): string {
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refreshSeconds}">`);
  out.push(`<link rel="icon" href="data:,"><title>swivel status</title><style>${STYLE}</style></head><body>`);
  out.push(`<h1>swivel${s.draining ? ' — draining' : ''}</h1>`);
  const x = s.extraction;
  const failed = Object.entries(x.failed)
    .map(([code, n]) => `${escapeHtml(code)} ${n}`)
    .join(', ');
  out.push(
    `<div class="info" id="summary">source ${escapeHtml(s.source)} · up ${shortDuration(s.now - s.startedAt)} · sessions ${s.sessions.open} open, ${s.sessions.created} created, ${s.sessions.rebound} re-bound · extraction: ${x.calls} calls (${x.ok} ok${failed === '' ? '' : `, ${failed}`}), ${x.extracted} extracted, ${x.renewed} renewed, ${x.expired} expired, ${x.used} used, <b>${x.wasted} wasted</b>, utilization <b id="utilization">${percent(x.utilization)}</b> · health: ${s.health.ejected} ejections, ${s.health.readmitted} readmitted, ${s.health.probes} probes</div>`,
  );
  for (const p of s.pools) {
    const pr = p.provider;
    const provider = [
      pr.lastCallAt === undefined ? 'no call yet' : `last call ${shortDuration(s.now - pr.lastCallAt)} ago`,
      pr.lastError === undefined ? undefined : `last error ${escapeHtml(pr.lastError.code)}: ${escapeHtml(pr.lastError.message)}`,
      pr.nextAttemptAt === undefined ? undefined : `backing off, next try in ${shortDuration(pr.nextAttemptAt - s.now)}`,
    ]
      .filter((v) => v !== undefined)
      .join(' · ');
    out.push(`<h2>${escapeHtml(p.key)}${p.isDefault ? ' (default)' : ''} — ${escapeHtml(p.geo)}</h2>`);
    out.push(
      `<div class="info">${p.usable} usable, ${p.ejected} ejected, ${p.expired} expired · ${p.sessions} sessions · demand ${demandText(p.picksPerLifetime)}, target ${p.target} · provider: ${provider}</div>`,
    );
    out.push(
      `<table class="pool" data-pool="${escapeHtml(p.key)}"><thead><tr><th class="l">endpoint</th><th class="l">state</th><th>age</th><th>life left</th><th>in flight</th><th>uses</th><th>ok</th><th>failed</th><th class="l">last error</th><th>latency ms</th></tr></thead><tbody>`,
    );
    for (const e of p.endpoints) {
      out.push(
        `<tr class="${e.state}"><td class="l">${escapeHtml(e.id)}</td><td class="l">${e.state}</td><td>${shortDuration(e.ageMs)}</td><td>${shortDuration(e.remainingMs)}</td><td>${e.inFlight}</td><td>${e.uses}</td><td>${e.successes}</td><td>${e.failures}</td><td class="l">${escapeHtml(e.lastError ?? '')}</td><td>${e.latencyEwmaMs === 0 ? '' : e.latencyEwmaMs.toFixed(0)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  out.push(`<div class="info">updated ${new Date(s.now).toISOString()}; refreshes every ${refreshSeconds}s</div></body></html>`);
  return out.join('\n');
}
