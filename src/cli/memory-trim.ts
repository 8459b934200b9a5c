/**
 * Hands V8's young generation back to the OS when `serve` is quiet (issue 12, idle RSS).
 *
 * Start-up (module compilation, the first extraction) and any burst of traffic grow the young
 * generation to its 2 × 16 MiB maximum, and V8 keeps it at that size while the process is idle:
 * about 16 MiB of an idle RSS that should be near 60. Capping it (`--max-semi-space-size`) would
 * make every request under load pay for more scavenges and earlier promotion; instead this lets
 * it grow under load and shrinks it when the load is gone, with V8's low-memory GC: a full GC
 * that also shrinks new space and releases pooled pages. V8's own memory reducer does the same
 * only after a mark-compact and a delay, which an idle proxy may never reach.
 *
 * The one JS-reachable way to that GC without `--expose-gc` is an in-process inspector session:
 * `HeapProfiler.collectGarbage` runs `LowMemoryNotification()`. No port is opened. The session is
 * disconnected on the next turn, not inside the callback (disconnecting there leaves the session
 * wedged: signals are no longer handled).
 */
import { getHeapSpaceStatistics } from 'node:v8';

export interface MemoryTrimOptions {
  /** First trim, after start-up has settled. */
  firstAfterMs?: number;
  /** How often the process is checked for quiet. */
  everyMs?: number;
  /** Quiet: at most this share of one core used since the previous check. */
  quietCpuShare?: number;
  /**
   * Checks in a row that must be quiet before a trim (after the first). A trimmed new space starts
   * small again, and the next burst pays for it in scavenges until V8 regrows it: measured with
   * bench:compare, trimming after every 10 s lull cost 20 % more CPU per plain request (72 against
   * 57 µs) when load came in bursts. Six checks = a minute of quiet: idle, not a pause.
   */
  quietChecks?: number;
}

/** New space above this (one semispace's capacity) is worth a trim; V8 starts it at 1 MiB. */
const GROWN_NEW_SPACE_BYTES = 2 * 1024 * 1024;

function newSpaceBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size;
  return 0;
}

/** One low-memory GC; resolves false when this Node has no inspector (built without it). */
export async function lowMemoryGc(): Promise<boolean> {
  let inspector: typeof import('node:inspector');
  try {
    inspector = await import('node:inspector');
  } catch {
    return false;
  }
  const session = new inspector.Session();
  session.connect();
  await new Promise<void>((resolve) => {
    session.post('HeapProfiler.collectGarbage', () => setImmediate(resolve));
  });
  session.disconnect();
  return true;
}

/**
 * Trim once after start-up, then whenever the process was quiet for `quietChecks` checks in a row
 * and new space has grown. Timers are unref'd: they never keep the process alive. `stop()` cancels.
 */
export function startMemoryTrim(options: MemoryTrimOptions = {}): { stop(): void } {
  const everyMs = options.everyMs ?? 10_000;
  const quietCpuShare = options.quietCpuShare ?? 0.02;
  const quietChecks = Math.max(1, options.quietChecks ?? 6);
  let quietInARow = 0;
  let stopped = false;
  let available = true;
  let timer: NodeJS.Timeout | undefined;
  let cpu = process.cpuUsage();

  const trim = async (): Promise<void> => {
    if (!available || stopped) return;
    available = await lowMemoryGc();
  };
  const check = (): void => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const quiet = (used.user + used.system) / 1000 <= everyMs * quietCpuShare;
    quietInARow = quiet ? quietInARow + 1 : 0;
    const due = quietInARow >= quietChecks && newSpaceBytes() > GROWN_NEW_SPACE_BYTES;
    if (due) quietInARow = 0;
    const work = due ? trim() : Promise.resolve();
    void work.finally(schedule);
  };
  const schedule = (): void => {
    if (stopped || !available) return;
    timer = setTimeout(check, everyMs).unref();
  };
  timer = setTimeout(() => {
    void trim().finally(() => {
      cpu = process.cpuUsage();
      schedule();
    });
  }, options.firstAfterMs ?? 500).unref();
  return {
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
