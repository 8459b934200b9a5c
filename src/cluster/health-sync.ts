/**
 * Shared health: an ejection on one replica is announced on the bus, and every other replica that
 * holds the endpoint ejects it too, for the same back-off (the remaining time travels, not an
 * instant, so clocks that differ a little do not matter). Readmission stays local: each replica's
 * prober checks the endpoint when the back-off ends, as for its own ejections.
 */
import type { Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import type { EndpointPool } from '../pool/pool.js';
import { findSubPool } from './find-sub-pool.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { encode, type BusMessage } from './messages.js';

export interface HealthSyncOptions {
  pool: EndpointPool;
  link: RedisLink;
  keys: ClusterKeys;
  clock: Clock;
  replicaId: string;
  logger?: Logger;
}

export class HealthSync {
  /** Set while applying a peer's ejection, so it is not announced back. */
  private applying = false;
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;
  /** Ejections learnt from other replicas (tests, status). */
  applied = 0;

  constructor(private readonly options: HealthSyncOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'shared-health' });
  }

  start(): void {
    const { pool, link, keys, replicaId } = this.options;
    this.unsubscribe ??= pool.events.on((e) => {
      if (e.type !== 'ejected' || this.applying) return;
      const { endpoint, reason, forMs } = e;
      const message: BusMessage = {
        t: 'eject',
        from: replicaId,
        pool: endpoint.poolKey,
        id: endpoint.id,
        forMs: Math.max(0, forMs),
        ejections: endpoint.ejections,
        reason,
      };
      link.publish(keys.bus, encode(message));
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** A peer's ejection: eject the same endpoint here, unless it is not held or already out. */
  apply(message: Extract<BusMessage, { t: 'eject' }>): void {
    const sub = findSubPool(this.options.pool, message.pool);
    const endpoint = sub?.byEndpointId(message.id);
    if (endpoint === undefined || endpoint.retired || endpoint.health === 'ejected') return;
    // markEjected counts one more ejection: start from the peer's count so back-offs grow alike.
    endpoint.ejections = Math.max(endpoint.ejections, message.ejections - 1);
    this.applying = true;
    try {
      this.options.pool.markEjected(endpoint, this.options.clock.now() + message.forMs, `${message.reason} (on another replica)`);
    } finally {
      this.applying = false;
    }
    this.applied++;
    this.log.info(
      { endpoint: endpoint.id, pool: message.pool, reason: message.reason, ejectedForMs: message.forMs },
      'endpoint ejected by another replica',
    );
  }
}
