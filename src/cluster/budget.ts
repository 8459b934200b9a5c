/**
 * `--api-rate N`: at most N extraction calls per minute. A fixed window per minute (minute number
 * of the injected clock): one INCR per call, no bookkeeping per call, and a refused call costs the
 * provider nothing. With Redis the window counter is shared, so N caps the whole fleet; while Redis
 * is away each replica counts locally against the same N (the fleet may then make up to N per
 * replica, which is the price of serving on without Redis).
 */
import type { Clock } from '../clock.js';
import { SwivelError } from '../errors.js';
import type { ClusterKeys } from './keys.js';
import { FAILED, type RedisLink } from './link.js';

const WINDOW_MS = 60_000;

export interface ExtractionBudget {
  /** Take one call; undefined when allowed, else the error to fail the extraction with. */
  take(): Promise<SwivelError | undefined>;
}

/** One process's own count. */
export class LocalBudget implements ExtractionBudget {
  private window = -1;
  private used = 0;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  take(): Promise<SwivelError | undefined> {
    const now = this.clock.now();
    const window = Math.floor(now / WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
    if (this.used >= this.perMinute) return Promise.resolve(spent(this.perMinute, now, false));
    this.used++;
    return Promise.resolve(undefined);
  }
}

/** INCR the window's counter, setting its expiry on first use, in one round trip. */
const TAKE = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** The fleet's count in Redis; the local count while Redis is away. */
export class SharedBudget implements ExtractionBudget {
  private readonly local: LocalBudget;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
  ) {
    this.local = new LocalBudget(perMinute, clock);
  }

  async take(): Promise<SwivelError | undefined> {
    const now = this.clock.now();
    const key = this.keys.rate(Math.floor(now / WINDOW_MS));
    // Two windows of life: the key outlives its minute even if replicas' clocks differ a little.
    const n = await this.link.call((c) => c.eval(TAKE, { keys: [key], arguments: [String(2 * WINDOW_MS)] }));
    if (n === FAILED || typeof n !== 'number') return this.local.take();
    return n > this.perMinute ? spent(this.perMinute, now, true) : undefined;
  }
}

function spent(perMinute: number, now: number, fleet: boolean): SwivelError {
  const retryInS = Math.max(1, Math.ceil((WINDOW_MS - (now % WINDOW_MS)) / 1000));
  const whose = fleet ? 'across the fleet' : 'by this process';
  return new SwivelError('provider_budget', `--api-rate ${perMinute}/min is spent ${whose}; next call in ${retryInS}s`, {
    // The refresher waits at least this long, as for a provider's own Retry-After.
    details: { retryAfter: String(retryInS) },
  });
}
