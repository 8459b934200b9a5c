/**
 * Passive health: every attempt through an endpoint reports its outcome here. Consecutive
 * connect-level failures (reset before a response, timeout, 407/401, non-2xx to CONNECT) eject the
 * endpoint at `maxFailures`; an auth failure or a refused TCP connect to the endpoint itself ejects
 * at once. The target's own faults (502/503/504 from a gateway, SOCKS 0x03-0x05) and local fd
 * exhaustion never reach here as failures (errors.ts `blamesEndpoint`). Ejection lasts a back-off
 * that doubles per ejection; the prober (or, without one, the clock) readmits it. A success resets
 * the count. Evidence that might be the target's fault (errors.ts `ambiguous`) never ejects more
 * than half a sub-pool: a burst of those that hits everything is more likely the target's or the
 * network's fault. Timeouts and refusals are the endpoint's own and are not held by that cap.
 */
import type { Clock } from '../clock.js';
import { ERRORS, errorSpec, type SwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { EndpointPool } from '../pool/pool.js';

export interface PassiveHealthOptions {
  pool: EndpointPool;
  clock: Clock;
  maxFailures: number;
  /** First ejection's length; doubles per ejection up to `ejectMaxMs`. */
  ejectBaseMs?: number;
  ejectMaxMs?: number;
  logger?: Logger;
}

export type FailureVerdict = 'ignored' | 'counted' | 'ejected' | 'spared';

export class PassiveHealth {
  private readonly log: Logger;
  /** Ejections so far (metrics). */
  ejectedTotal = 0;

  constructor(private readonly options: PassiveHealthOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'health' });
  }

  /** `latencyMs`: how long the attempt took to get an answer (feeds the endpoint's EWMA). */
  success(endpoint: Endpoint, latencyMs?: number): void {
    endpoint.consecutiveFailures = 0;
    endpoint.successes++;
    if (latencyMs !== undefined) {
      endpoint.latencyEwmaMs = endpoint.latencyEwmaMs === 0 ? latencyMs : endpoint.latencyEwmaMs * 0.8 + latencyMs * 0.2;
    }
    if (endpoint.health === 'unknown') endpoint.health = 'healthy';
  }

  /**
   * `shared`: the failure was seen on several endpoints at once for the same request (they all
   * waited on one target), so it is treated as ambiguous whatever its code.
   */
  failure(endpoint: Endpoint, error: SwivelError, shared = false): FailureVerdict {
    if (!ERRORS[error.code].blamesEndpoint || endpoint.health === 'ejected') return 'ignored';
    endpoint.failures++;
    endpoint.lastErrorCode = error.code;
    endpoint.consecutiveFailures++;
    const fatal = error.code === 'upstream_auth_failed' || error.code === 'upstream_refused' || error.code === 'endpoint_refused';
    if (!fatal && endpoint.consecutiveFailures < this.options.maxFailures) return 'counted';
    if ((shared || errorSpec(error.code).ambiguous === true) && !this.mayEject(endpoint)) {
      this.log.debug(
        { endpoint: endpoint.id, pool: endpoint.poolKey, reason: error.code },
        'not ejecting: half the sub-pool is already out',
      );
      return 'spared';
    }
    this.eject(endpoint, error.code);
    return 'ejected';
  }

  /** Put an endpoint out of rotation; also used by the prober when a probe of an idle one fails. */
  eject(endpoint: Endpoint, reason: string): void {
    const now = this.options.clock.now();
    const base = this.options.ejectBaseMs ?? 30_000;
    const max = this.options.ejectMaxMs ?? 600_000;
    const forMs = Math.min(max, base * 2 ** Math.min(20, endpoint.ejections));
    this.options.pool.markEjected(endpoint, now + forMs, reason);
    this.ejectedTotal++;
    this.log.warn(
      { endpoint: endpoint.id, pool: endpoint.poolKey, reason, failures: endpoint.consecutiveFailures, ejectedForMs: forMs },
      'endpoint ejected',
    );
  }

  /** Back into rotation after a successful probe (or the end of its back-off when not probing). */
  readmit(endpoint: Endpoint, why: string): void {
    if (endpoint.health !== 'ejected') return;
    this.options.pool.markReadmitted(endpoint, why);
    this.log.info({ endpoint: endpoint.id, pool: endpoint.poolKey, why }, 'endpoint readmitted');
  }

  private mayEject(endpoint: Endpoint): boolean {
    const sub = this.options.pool.subPoolOf(endpoint);
    if (sub === undefined) return true;
    return (sub.ejectedCount() + 1) * 2 <= sub.size;
  }
}
