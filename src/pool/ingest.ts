/**
 * Ingest in slices. One extraction may list 100 000 endpoints; added in one go that blocks the
 * event loop for tens of milliseconds, during which no request moves. Here the batch goes in
 * slices bounded by count and by time, yielding to the event loop (setImmediate, so pending I/O
 * runs first) between them. Each slice is a complete SubPool.ingest of its part, so between
 * slices the pool is consistent: requests are served from what is in already.
 */
import type { EndpointBatch } from '../provider/batch.js';
import type { ParsedEndpoint } from '../provider/types.js';
import type { IngestResult, SubPool } from './sub-pool.js';

export interface SliceOptions {
  /** Most entries per slice. */
  maxEntries?: number;
  /** Time budget per slice, checked every `CHECK_EVERY` entries. */
  maxSliceMs?: number;
  /** How to give the event loop a turn; setImmediate by default. */
  yieldToLoop?: () => Promise<void>;
}

export const DEFAULT_SLICE_ENTRIES = 8_192;
export const DEFAULT_SLICE_MS = 4;
const CHECK_EVERY = 1_024;

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Add `parsed` to `sub` slice by slice; `onSlice` sees each slice's counts (the pool bumps its
 * counters as it goes), `stillWanted` is asked before each slice after the first (a sub-pool
 * dropped meanwhile takes no more). Resolves with the totals.
 */
export async function ingestInSlices(
  sub: SubPool,
  parsed: readonly ParsedEndpoint[] | EndpointBatch,
  now: number,
  lifetimeMs: number,
  onSlice: (slice: IngestResult) => void,
  stillWanted: () => boolean,
  options: SliceOptions = {},
): Promise<IngestResult> {
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_SLICE_ENTRIES);
  const maxSliceMs = options.maxSliceMs ?? DEFAULT_SLICE_MS;
  const pause = options.yieldToLoop ?? yieldToLoop;
  const total: IngestResult = { added: 0, renewed: 0 };
  const batch = Array.isArray(parsed) ? undefined : (parsed as EndpointBatch);
  // Room for the whole batch at once only in an empty sub-pool (an allocation, nothing to move):
  // in a full one most entries are renewals, and a rehash of 100 000 entries sized for twice the
  // batch was one 25 ms turn. There the index and columns grow per chunk, as entries turn out new.
  if (sub.size === 0) sub.reserve(parsed.length);
  let from = 0;
  while (from < parsed.length) {
    if (from > 0) {
      await pause();
      if (!stillWanted()) break;
    }
    const started = performance.now();
    const sliceEnd = Math.min(parsed.length, from + maxEntries);
    const slice: IngestResult = { added: 0, renewed: 0 };
    while (from < sliceEnd) {
      const to = Math.min(sliceEnd, from + CHECK_EVERY);
      const r =
        batch === undefined
          ? sub.ingest(parsed as readonly ParsedEndpoint[], now, lifetimeMs, from, to)
          : sub.ingestBatch(batch, now, lifetimeMs, from, to);
      slice.added += r.added;
      slice.renewed += r.renewed;
      from = to;
      if (performance.now() - started >= maxSliceMs) break;
    }
    total.added += slice.added;
    total.renewed += slice.renewed;
    onSlice(slice);
  }
  return total;
}

/** What filterInSlices dropped: how many, and the first reason (for one warning per extraction). */
export interface FilterResult {
  rejected: number;
  example: string | undefined;
}

/**
 * Drop the entries `reject` refuses from `endpoints`, in place (the parser's array is the caller's,
 * so no second array is built), yielding to the event loop every `maxEntries`: the ingest filter
 * reads every entry's host, which at 100 000 entries (and in code not yet optimised, on the first
 * refresh) is tens of milliseconds in one piece otherwise.
 */
export async function filterInSlices(
  endpoints: ParsedEndpoint[],
  reject: (e: ParsedEndpoint) => string | undefined,
  options: SliceOptions = {},
): Promise<FilterResult> {
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_SLICE_ENTRIES);
  const pause = options.yieldToLoop ?? yieldToLoop;
  let example: string | undefined;
  let w = 0;
  let budget = maxEntries;
  for (let r = 0; r < endpoints.length; r++) {
    const e = endpoints[r]!;
    const reason = reject(e);
    if (reason === undefined) endpoints[w++] = e;
    else example ??= reason;
    if (--budget === 0 && r + 1 < endpoints.length) {
      await pause();
      budget = maxEntries;
    }
  }
  const rejected = endpoints.length - w;
  endpoints.length = w;
  return { rejected, example };
}

/** What the address filter offers for column entries (pool/address-filter.ts): a check by number. */
export interface ColumnReject {
  (e: ParsedEndpoint): string | undefined;
  /** The same check for the IPv4 address `address` (ipv4Number) and `port`, no object built. */
  v4?: (address: number, port: number) => string | undefined;
}

/**
 * filterInSlices over a column batch (provider/batch.ts), in place: IPv4 entries are checked by
 * number when `reject` can (`reject.v4`), else through a ParsedEndpoint built for the check.
 */
export async function filterBatchInSlices(batch: EndpointBatch, reject: ColumnReject, options: SliceOptions = {}): Promise<FilterResult> {
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_SLICE_ENTRIES);
  const maxSliceMs = options.maxSliceMs ?? DEFAULT_SLICE_MS;
  const pause = options.yieldToLoop ?? yieldToLoop;
  const v4 = reject.v4;
  const n = batch.length;
  let example: string | undefined;
  let w = 0;
  let r = 0;
  while (r < n) {
    if (r > 0) await pause();
    const started = performance.now();
    const sliceEnd = Math.min(n, r + maxEntries);
    while (r < sliceEnd) {
      const to = Math.min(sliceEnd, r + CHECK_EVERY);
      for (; r < to; r++) {
        const object = batch.objectAt(r);
        const reason = object !== undefined ? reject(object) : v4 !== undefined ? v4(batch.addr[r]!, batch.port[r]!) : reject(batch.at(r));
        if (reason === undefined) {
          if (w !== r) batch.move(r, w);
          w++;
        } else example ??= reason;
      }
      if (performance.now() - started >= maxSliceMs) break;
    }
  }
  batch.truncate(w);
  return { rejected: n - w, example };
}
