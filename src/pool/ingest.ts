/**
 * Ingest in slices. One extraction may list 100 000 endpoints; added in one go that blocks the
 * event loop for tens of milliseconds, during which no request moves. Here the batch goes in
 * slices bounded by count and by time, yielding to the event loop (setImmediate, so pending I/O
 * runs first) between them. Each slice is a complete SubPool.ingest of its part, so between
 * slices the pool is consistent: requests are served from what is in already.
 */
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
  parsed: readonly ParsedEndpoint[],
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
  sub.reserve(parsed.length);
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
      const r = sub.ingest(parsed, now, lifetimeMs, from, to);
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
