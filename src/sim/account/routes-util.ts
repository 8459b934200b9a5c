/** What the simulated account routes share: the handler type, answers, comma lists and paging. */
export type Fields = Record<string, unknown>;
export type Handler = (f: Fields) => { code: number; msg?: string; data: unknown };

export const ok = (data: unknown = null): { code: number; data: unknown } => ({ code: 200, data });
export const ok0 = (data: unknown = {}): { code: number; data: unknown } => ({ code: 0, data });
export const refuse = (code: number, msg: string): { code: number; msg: string; data: null } => ({ code, msg, data: null });

export function names(value: unknown): string[] {
  return String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function page<T>(
  items: T[],
  pageNo: unknown,
  size: unknown,
  fallbackSize: number,
): { slice: T[]; pages: number; page: number; size: number } {
  const s = Number(size) > 0 ? Number(size) : fallbackSize;
  const p = Number(pageNo) > 0 ? Number(pageNo) : 1;
  return { slice: items.slice((p - 1) * s, p * s), pages: Math.ceil(items.length / s), page: p, size: s };
}
