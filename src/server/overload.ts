/**
 * Local resource exhaustion (EMFILE/ENFILE on accept or dial) is swivel's problem, not an
 * endpoint's: it is answered 503 `overloaded` and logged, but at most once per interval, because
 * under fd exhaustion every request fails the same way and a log line per request would only
 * make it worse (pino writes through an fd too).
 */
import type { Logger } from '../logger.js';

export class OverloadReporter {
  private lastLoggedAt = -Infinity;
  private suppressed = 0;
  /** Occurrences since start (metrics). */
  total = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly intervalMs = 10_000,
  ) {}

  report(where: 'accept' | 'dial', errno: unknown): void {
    this.total++;
    const now = this.now();
    if (now - this.lastLoggedAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.log.warn(
      { where, errno, suppressed: this.suppressed, intervalMs: this.intervalMs },
      'out of local file descriptors or buffers: answering 503 overloaded (not an endpoint fault)',
    );
    this.lastLoggedAt = now;
    this.suppressed = 0;
  }
}
