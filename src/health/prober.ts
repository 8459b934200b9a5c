/**
 * Active health, cheap on bandwidth. Only two kinds of endpoint are probed: ejected ones whose
 * back-off has ended (to readmit them), and ones idle longer than `probeIdleMs` (to find the dead
 * before a client does). New endpoints are not probed: they start "unknown" and serve.
 *
 * A probe opens a tunnel through the endpoint to the probe target and closes it at once: the
 * upstream's CONNECT answer says the endpoint works, and no payload byte is spent. The target is
 * `--probe-url` when given, else the last target a client reached successfully. With neither,
 * an ejected endpoint is readmitted when its back-off ends and the next request is its probe.
 */
import PQueue from 'p-queue';
import { every, type Clock } from '../clock.js';
import { isSwivelError, SwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { isExpired, type Endpoint } from '../pool/endpoint.js';
import type { EndpointPool } from '../pool/pool.js';
import { closeTunnel, type RelayTunnelOpener } from '../upstream/types.js';
import type { PassiveHealth } from './passive.js';

export interface ProberOptions {
  pool: EndpointPool;
  health: PassiveHealth;
  clock: Clock;
  openTunnel: RelayTunnelOpener;
  probeUrl?: string | undefined;
  probeIdleMs: number;
  concurrency: number;
  tickMs?: number;
  logger?: Logger;
}

interface Target {
  host: string;
  port: number;
}

export class Prober {
  private readonly queue: PQueue;
  private readonly configured: Target | undefined;
  private recent: Target | undefined;
  private readonly inFlight = new Set<Endpoint>();
  private readonly log: Logger;
  private stopTicking: (() => void) | undefined;
  /** Probes run so far, and how they ended (stats, metrics, tests). */
  probes = 0;
  probesOk = 0;
  probesFailed = 0;

  constructor(private readonly options: ProberOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.log = (options.logger ?? silentLogger).child({ component: 'probe' });
    if (options.probeUrl !== undefined) {
      const url = new URL(options.probeUrl);
      this.configured = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || 80 };
    }
  }

  /** Remember a target a client just reached; cheap, called on every success. */
  noteTarget(host: string, port: number): void {
    const r = this.recent;
    if (r !== undefined && r.host === host && r.port === port) return;
    this.recent = { host, port };
  }

  start(): void {
    if (this.stopTicking !== undefined) return;
    this.stopTicking = every(this.options.clock, this.options.tickMs ?? 5_000, () => void this.tick());
  }

  stop(): void {
    this.stopTicking?.();
    this.stopTicking = undefined;
    this.queue.clear();
  }

  /**
   * Queue the probes due now; resolves when they, and any probe an earlier (timer-driven) tick
   * started, have all finished.
   */
  async tick(): Promise<void> {
    const now = this.options.clock.now();
    const target = this.configured ?? this.recent;
    const due: Promise<void>[] = [];
    for (const sub of this.options.pool.allSubPools()) {
      sub.forEach((e) => {
        if (e.retired || isExpired(e, now) || (e.built !== undefined && this.inFlight.has(e.built))) return;
        const ejectedDue = e.health === 'ejected' && now >= e.ejectedUntil;
        const idleDue = e.health !== 'ejected' && now - Math.max(e.lastUsedAt, e.lastProbedAt, e.extractedAt) >= this.options.probeIdleMs;
        if (target === undefined) {
          if (ejectedDue) this.options.health.readmit(e.endpoint(), 'back-off ended (no probe target known yet)');
          return;
        }
        if (!ejectedDue && !idleDue) return;
        // Only the endpoints due become objects (a probe needs one).
        const endpoint = e.endpoint();
        this.inFlight.add(endpoint);
        due.push(this.queue.add(() => this.probe(endpoint, target)).finally(() => this.inFlight.delete(endpoint)));
      });
    }
    await Promise.all(due);
    await this.queue.onIdle();
  }

  private async probe(e: Endpoint, target: Target): Promise<void> {
    this.probes++;
    e.lastProbedAt = this.options.clock.now();
    try {
      const tunnel = await this.options.openTunnel(e, target.host, target.port);
      closeTunnel(tunnel);
      this.probesOk++;
      if (e.health === 'ejected') this.options.health.readmit(e, 'probe succeeded');
      else this.options.health.success(e);
    } catch (err) {
      const error = isSwivelError(err) ? err : new SwivelError('internal', 'probe failed', { cause: err });
      this.probesFailed++;
      e.lastErrorCode = error.code;
      this.log.debug({ endpoint: e.id, code: error.code }, 'probe failed');
      // A failed probe of an ejected endpoint extends its ejection (the back-off grows).
      if (e.health === 'ejected') this.options.health.eject(e, `probe failed: ${error.code}`);
      else this.options.health.failure(e, error);
    }
  }
}
