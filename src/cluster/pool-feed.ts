/**
 * The subscriber side of the shared pool: reads the bus and brings what other replicas did into
 * this one. A batch goes to a demand waiting for it (shared-source.ts) or straight into the local
 * sub-pool with its own expiry; a failure goes to the waiting demand; an ejection to health-sync.
 * When Redis returns after an outage it resynchronises both ways: publishes the endpoints this
 * replica extracted on its own meanwhile, and adopts what the others published.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { isUsable } from '../pool/endpoint.js';
import type { EndpointPool } from '../pool/pool.js';
import type { ParsedEndpoint } from '../provider/types.js';
import { findSubPool } from './find-sub-pool.js';
import type { HealthSync } from './health-sync.js';
import type { ClusterKeys } from './keys.js';
import { FAILED, type RedisLink } from './link.js';
import { decodeMessage, type SharedBatch } from './messages.js';
import type { SharedSource } from './shared-source.js';

export interface PoolFeedOptions {
  pool: EndpointPool;
  link: RedisLink;
  keys: ClusterKeys;
  clock: Clock;
  replicaId: string;
  source: SharedSource;
  health: HealthSync;
  /** The ingest filter (private addresses, swivel's own ports): a peer's batch passes it here too. */
  reject?: (endpoint: ParsedEndpoint) => string | undefined;
  logger?: Logger;
}

export class PoolFeed {
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;
  /** Batches adopted from other replicas (tests, status). */
  adopted = 0;

  constructor(private readonly options: PoolFeedOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'shared-pool' });
  }

  async start(): Promise<void> {
    const { link, keys } = this.options;
    this.unsubscribe ??= link.events.on((e) => {
      if (e.type === 'up') void this.resync();
    });
    await link.subscribe(keys.bus, (text) => this.onMessage(text));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Ingest a peer's batch into the local sub-pool of the same key, keeping its expiry. */
  adopt(batch: SharedBatch): void {
    const { pool, clock, source } = this.options;
    const sub = findSubPool(pool, batch.pool);
    const now = clock.now();
    if (sub === undefined || batch.expiresAt <= now || source.hasSeen(batch.id)) return;
    source.markSeen(batch);
    const accepted = this.filter(batch.endpoints);
    if (accepted.length === 0) return;
    const { added } = pool.ingest(sub, accepted, now, batch.expiresAt - now);
    this.adopted++;
    this.log.debug({ pool: batch.pool, added }, 'adopted endpoints another replica extracted');
  }

  private onMessage(text: string): void {
    const message = decodeMessage(text);
    if (message === undefined || message.from === this.options.replicaId) return;
    if (message.t === 'eject') this.options.health.apply(message);
    else if (message.t === 'failed') this.options.source.offer(message);
    else if (!this.options.source.offer(message)) this.adopt(message.batch);
  }

  /** After an outage: share what was extracted locally meanwhile, adopt what the others shared. */
  private async resync(): Promise<void> {
    const { pool, clock, source } = this.options;
    const now = clock.now();
    for (const sub of pool.allSubPools()) {
      // Endpoints of one extraction expire together: one batch per expiry.
      const byExpiry = new Map<number, ParsedEndpoint[]>();
      sub.forEach((e) => {
        if (!isUsable(e, now)) return;
        const list = byExpiry.get(e.expiresAt) ?? [];
        list.push({ host: e.host, port: e.port, username: e.username, password: e.password });
        byExpiry.set(e.expiresAt, list);
      });
      const unseen = await source.unseen(sub.key);
      for (const [expiresAt, endpoints] of byExpiry) {
        const batch: SharedBatch = { id: randomUUID(), pool: sub.key, expiresAt, endpoints };
        source.markSeen(batch);
        await source.publish(batch);
      }
      if (unseen !== FAILED) for (const b of unseen) this.adopt(b);
    }
    this.log.debug('resynchronised with the shared pool');
  }

  private filter(endpoints: readonly ParsedEndpoint[]): ParsedEndpoint[] {
    const reject = this.options.reject;
    const out: ParsedEndpoint[] = [];
    for (const e of endpoints) if (reject === undefined || reject(e) === undefined) out.push({ ...e });
    return out;
  }
}
