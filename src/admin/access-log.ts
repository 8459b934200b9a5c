/**
 * `--access-log`: one structured line per request and tunnel, from the listeners' outcome hook.
 * The outcome carries no credentials and no query string (server/outcome.ts), so neither can
 * reach this line.
 */
import type { Logger } from '../logger.js';
import type { OutcomeHook } from '../server/outcome.js';

export function accessLogger(logger: Logger): OutcomeHook {
  const log = logger.child({ component: 'access' });
  return (o) =>
    log.info(
      {
        listener: o.listener,
        kind: o.kind,
        method: o.method,
        target: o.target,
        pool: o.pool,
        endpoint: o.endpoint,
        code: o.code,
        status: o.status,
        attempts: o.attempts,
        bytesIn: o.bytesIn,
        bytesOut: o.bytesOut,
        durationMs: Math.round(o.durationMs),
      },
      'access',
    );
}
