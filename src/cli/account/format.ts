/**
 * What a person reads: traffic in binary units (the API counts KB), limits in GB, local ISO dates,
 * status words and product type names instead of codes; tables aligned on a terminal and
 * tab-separated without colour on a pipe.
 */

/** Product types of the order and package documents (000, 002). */
export const PRODUCT_TYPES: Readonly<Record<number, string>> = {
  3: 'balance recharge',
  9: 'dynamic residential traffic',
  11: 'dynamic residential IP',
  12: 'long-term IDC traffic',
  13: 'residential static IP traffic',
  14: 'static datacenter IP',
  15: 'long-term ISP traffic',
  16: 'static traffic',
  17: 'dynamic IP quantity',
  18: 'web-scraper',
  19: 'static IP renewal',
  20: 'static IP replacement quota',
  21: 'static traffic v2',
  24: 'static traffic add-on',
  25: 'static residential IP',
  26: 'additional payment',
  27: 'serp',
  28: 'video',
};

export const ORDER_STATUS: readonly string[] = ['pending', 'paid', 'timeout', 'refunded'];
/** `ip/get-static-ip` status: 1 valid, 2 invalid, 3 about to expire, 4 under maintenance. */
export const STATIC_STATUS: readonly string[] = ['', 'valid', 'invalid', 'expiring', 'maintenance'];

export function productTypeName(type: unknown): string {
  if (typeof type !== 'number') return text(type);
  return PRODUCT_TYPES[type] ?? `type ${type}`;
}

export function word(words: readonly string[], code: unknown): string {
  if (typeof code !== 'number') return text(code);
  const w = words[code];
  return w === undefined || w === '' ? String(code) : w;
}

export function enabledWord(status: unknown): string {
  return status === 1 ? 'enabled' : status === 0 ? 'disabled' : text(status);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${UNITS[unit]}`;
}

/** Traffic figures arrive in KB. */
export function formatKb(kb: unknown): string {
  return typeof kb === 'number' ? formatBytes(kb * 1024) : text(kb);
}

/** Limits arrive in GB; 0 means no limit. */
export function formatLimitGb(gb: unknown): string {
  if (gb === 0) return 'unlimited';
  return typeof gb === 'number' ? formatBytes(gb * 1024 ** 3) : text(gb);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * A date in local ISO form (`2024-05-13 14:15:22`). Times with a zone (`…Z`, `+08:00`) or Unix
 * seconds are converted to local time; times without a zone are the provider's wall clock and
 * are shown as they came.
 */
export function formatDate(value: unknown): string {
  let date: Date | undefined;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d{9,11}$/.test(value))) {
    const seconds = Number(value);
    if (seconds === 0) return '';
    date = new Date(seconds * 1000);
  } else if (typeof value === 'string' && /(Z|[+-]\d\d:?\d\d)$/.test(value)) {
    const parsed = new Date(value);
    if (!Number.isNaN(parsed.getTime())) date = parsed;
  }
  if (date === undefined) return typeof value === 'string' ? value.replace('T', ' ') : text(value);
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

export function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Right-align (numbers, sizes). */
  readonly right?: boolean;
}

/** Control characters from the provider must not reach the terminal. */
function clean(cell: string): string {
  // eslint-disable-next-line no-control-regex
  return cell.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** Aligned columns with a bold header on a terminal; tab-separated, no colour, on a pipe. */
export function renderTable<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>, tty: boolean): string[] {
  const cells = rows.map((row) => columns.map((c) => clean(c.value(row))));
  const headers = columns.map((c) => c.header);
  if (!tty) return [headers.join('\t'), ...cells.map((r) => r.join('\t'))];
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => (columns[i]?.right === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [`\u001b[1m${line(headers)}\u001b[0m`, ...cells.map(line)];
}

/** Horizontal bars, one per row, scaled to the largest value. */
export function barChart(rows: ReadonlyArray<{ label: string; value: number; shown: string }>, widthChars = 40): string[] {
  const max = Math.max(0, ...rows.map((r) => r.value));
  const labelWidth = Math.max(0, ...rows.map((r) => r.label.length));
  const shownWidth = Math.max(0, ...rows.map((r) => r.shown.length));
  return rows.map((r) => {
    const n = max === 0 ? 0 : Math.round((r.value / max) * widthChars);
    return `${r.label.padEnd(labelWidth)}  ${r.shown.padStart(shownWidth)}  \u001b[36m${'█'.repeat(n)}\u001b[0m`;
  });
}
