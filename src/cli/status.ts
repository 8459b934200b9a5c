/**
 * `swivel status [--admin URL]`: a running swivel's /status as a terminal table. Exit 3 when it
 * cannot be reached (or answers nonsense), 2 when it wants credentials we do not have.
 */
import { request } from 'undici';
import { demandText, percent, shortDuration } from '../admin/page.js';
import type { SwivelStats } from '../stats.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { stdio, type Output } from './output.js';

export function statusTable(s: SwivelStats): string[] {
  const lines: string[] = [];
  const x = s.extraction;
  lines.push(
    `swivel${s.draining ? ' (draining)' : ''} · source ${s.source} · sessions ${s.sessions.open} · extraction ${x.calls} calls, ${x.extracted} extracted, ${x.used} used, ${x.wasted} wasted, utilization ${percent(x.utilization)}`,
  );
  for (const p of s.pools) {
    lines.push('');
    const err = p.provider.lastError === undefined ? '' : ` · provider: ${p.provider.lastError.code}`;
    lines.push(
      `${p.key}${p.isDefault ? ' (default)' : ''}: ${p.usable} usable, ${p.ejected} ejected, ${p.sessions} sessions, demand ${demandText(p.picksPerLifetime)}, target ${p.target}${err}`,
    );
    const rows = [['ENDPOINT', 'STATE', 'AGE', 'LEFT', 'INFLIGHT', 'OK', 'FAIL', 'LAST ERROR', 'LATENCY']];
    for (const e of p.endpoints) {
      rows.push([
        e.id,
        e.state,
        shortDuration(e.ageMs),
        shortDuration(e.remainingMs),
        String(e.inFlight),
        String(e.successes),
        String(e.failures),
        e.lastError ?? '-',
        e.latencyEwmaMs === 0 ? '-' : `${e.latencyEwmaMs.toFixed(0)}ms`,
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      lines.push(
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
  }
  return lines;
}

export async function statusCommand(adminUrl: string, auth: string | undefined, output: Output = stdio): Promise<ExitCode> {
  if (!/^https?:\/\/[^/]/.test(adminUrl) || !URL.canParse(adminUrl)) {
    output.err(`swivel: Expected \`--admin\` to be an http:// URL such as http://127.0.0.1:9090, got \`${adminUrl}\``);
    return EXIT.USAGE;
  }
  const url = `${adminUrl.replace(/\/+$/, '')}/status`;
  const headers: Record<string, string> = {};
  if (auth !== undefined) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  let stats: SwivelStats;
  try {
    const res = await request(url, { headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
    if (res.statusCode === 401) {
      await res.body.dump();
      output.err('swivel: the admin port wants credentials: pass --admin-auth user:pass');
      return EXIT.USAGE;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      output.err(`swivel: ${url} answered HTTP ${res.statusCode}; is that a swivel admin port?`);
      return EXIT.UNAVAILABLE;
    }
    stats = (await res.body.json()) as SwivelStats;
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    output.err(`swivel: cannot reach swivel at ${adminUrl} (${code}); is it running with --admin-port?`);
    return EXIT.UNAVAILABLE;
  }
  for (const line of statusTable(stats)) output.out(line);
  return EXIT.OK;
}
