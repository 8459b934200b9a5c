/**
 * The one connection to Redis every shared-tier component goes through: a command client and a
 * subscriber (a subscribed RESP2 connection takes no other commands), each with a connect timeout,
 * no offline queue (node-redis would otherwise park commands until Redis returns, unbounded) and a
 * bound on every call. The link is `up` or `down`; while down, calls answer FAILED at once, without
 * a round trip, and the caller falls back to its local state. Transitions are logged once each, not
 * per reconnect attempt, and announced so the shared tier can resynchronise when Redis returns.
 *
 * Timers here are real (unref'd) timers, not the injected clock: they bound a socket and a peer,
 * which no manual clock can move (clock.ts).
 */
import { createRequire } from 'node:module';
import type { createClient as CreateClient } from 'redis';
import { redactUrl, silentLogger, type Logger } from '../logger.js';
import { Emitter } from '../pool/events.js';

export type RedisClient = ReturnType<typeof CreateClient>;

/** What a call answers when Redis could not: down, slow past the bound, or an error reply. */
export const FAILED: unique symbol = Symbol('redis call failed');
export type Failed = typeof FAILED;

export type LinkEvent = { type: 'up' } | { type: 'down'; reason: string };

export interface RedisLinkOptions {
  /** `redis://[user:pass@]host:port[/db]`; may carry a password, so it is never logged as given. */
  url: string;
  /** Bound on one call (and on the connect); past it the call answers FAILED and the link goes down. */
  timeoutMs: number;
  logger?: Logger;
  /** Bound on establishing a connection. Default max(timeoutMs, 1000). */
  connectTimeoutMs?: number;
  /** While down with the socket still open (Redis slow, not gone), PING this often. Default 1000. */
  probeMs?: number;
}

export class RedisLink {
  readonly client: RedisClient;
  readonly subscriber: RedisClient;
  readonly events = new Emitter<LinkEvent>();
  /** The URL with any userinfo blanked, for logs and the status line. */
  readonly shownUrl: string;
  private isUp = false;
  /** The outage has been logged (once per outage; the first failure at start counts as one). */
  private downLogged = false;
  private stopped = false;
  private probe: NodeJS.Timeout | undefined;
  /** The last connection error, scrubbed: the reason the one outage line gives. */
  private lastError: string | undefined;
  private readonly log: Logger;
  private readonly secret: string | undefined;
  private readonly channels = new Map<string, (message: string) => void>();
  private readonly confirmed = new Set<string>();

  constructor(private readonly options: RedisLinkOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'redis' });
    this.shownUrl = redactUrl(options.url);
    this.secret = passwordOf(options.url);
    const connectTimeout = options.connectTimeoutMs ?? Math.max(options.timeoutMs, 1_000);
    // node-redis is required here, not imported at the top: a swivel without --redis-url never
    // loads it (about 18 MB of idle RSS, bench/memory.bench.mjs).
    const { createClient } = createRequire(import.meta.url)('redis') as { createClient: typeof CreateClient };
    const make = (): RedisClient =>
      createClient({
        url: options.url,
        disableOfflineQueue: true,
        commandOptions: { timeout: options.timeoutMs },
        socket: {
          connectTimeout,
          // Keep trying, quickly at first: a replica should rejoin within a second or two of Redis returning.
          reconnectStrategy: (retries: number) => Math.min(100 * (retries + 1), 1_000),
        },
      });
    this.client = make();
    this.subscriber = make();
    for (const c of [this.client, this.subscriber]) {
      // Without a listener node-redis' 'error' would throw; each reconnect attempt emits one, so debug only.
      c.on('error', (err: unknown) => {
        this.lastError = this.scrub(err);
        this.log.debug({ reason: this.lastError }, 'redis connection error');
      });
    }
    this.client.on('ready', () => this.markUp());
    this.subscriber.on('ready', () => void this.subscribePending());
    this.client.on('end', () => this.markDown(this.lastError ?? 'connection closed'));
    this.client.on('reconnecting', () => this.markDown(this.lastError ?? 'connection lost'));
  }

  get up(): boolean {
    return this.isUp;
  }

  /**
   * Connect both clients, waiting at most the connect timeout. Never rejects: Redis being away at
   * start is the same outage as Redis going away later (logged once, retried in the background).
   */
  async start(): Promise<void> {
    const connect = (c: RedisClient): Promise<unknown> => c.connect().catch(() => undefined);
    const bound = (this.options.connectTimeoutMs ?? Math.max(this.options.timeoutMs, 1_000)) + 100;
    // A refused connect is an answer too: no need to sit out the bound (node-redis retries behind it).
    let onError: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (onError = resolve));
    this.client.once('error', onError);
    await withTimeout(Promise.race([Promise.all([connect(this.client), connect(this.subscriber)]), failed]), bound);
    this.client.off('error', onError);
    if (!this.isUp) this.markDown(this.lastError ?? 'no answer at start');
  }

  /**
   * Run one Redis operation, bounded by the timeout. FAILED when down (at once), on an error, or
   * past the bound (the link then goes down until a PING answers in time).
   */
  async call<T>(fn: (client: RedisClient) => Promise<T>): Promise<T | Failed> {
    if (!this.isUp) return FAILED;
    const timedOut = { timedOut: true } as const;
    try {
      const result = await withTimeout(fn(this.client), this.options.timeoutMs, timedOut);
      if (result === timedOut) {
        this.markDown(`no answer within ${this.options.timeoutMs}ms`);
        return FAILED;
      }
      return result as T;
    } catch (err) {
      // An error reply (WRONGTYPE, NOSCRIPT, …) is not an outage; a closed socket or timeout is.
      const name = (err as { name?: string } | undefined)?.name;
      if (name === 'TimeoutError' || name === 'ClientOfflineError' || name === 'ClientClosedError') {
        this.markDown(this.scrub(err));
      } else {
        this.log.debug({ reason: this.scrub(err) }, 'redis call failed');
      }
      return FAILED;
    }
  }

  /** Fire and forget: a notice lost while Redis is away is made good by the resync on rejoin. */
  publish(channel: string, message: string): void {
    void this.call((c) => c.publish(channel, message));
  }

  /**
   * Subscribe, now if the subscriber is connected, else as soon as it is. Once confirmed,
   * node-redis re-subscribes by itself after every reconnect.
   */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.channels.set(channel, listener);
    if (this.subscriber.isReady) await this.subscribePending();
  }

  private async subscribePending(): Promise<void> {
    for (const [channel, listener] of this.channels) {
      if (this.confirmed.has(channel)) continue;
      await withTimeout(
        this.subscriber
          .subscribe(channel, (message: string) => listener(message))
          .then(
            () => this.confirmed.add(channel),
            (err: unknown) => this.log.debug({ reason: this.scrub(err) }, 'redis subscribe failed'),
          ),
        this.options.timeoutMs,
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopProbe();
    // Bounded like every call: a Redis that is away at shutdown must not hold the stop up.
    const close = (c: RedisClient): Promise<unknown> => (c.isOpen ? withTimeout(c.close(), this.options.timeoutMs) : Promise.resolve());
    await Promise.allSettled([close(this.client), close(this.subscriber)]);
    // close() leaves a reconnecting client trying; destroy() ends it for good.
    for (const c of [this.client, this.subscriber]) if (c.isOpen) c.destroy();
  }

  private markUp(): void {
    if (this.stopped || this.isUp) return;
    this.isUp = true;
    this.lastError = undefined;
    this.stopProbe();
    if (this.downLogged) this.log.info({ redis: this.shownUrl }, 'redis reachable again; rejoined the shared pool and sessions');
    else this.log.info({ redis: this.shownUrl }, 'redis connected; pool, sessions, health and budget are shared');
    this.downLogged = false;
    if (this.events.listening) this.events.emit({ type: 'up' });
  }

  private markDown(reason: string): void {
    if (this.stopped) return;
    const wasUp = this.isUp;
    this.isUp = false;
    if (!this.downLogged) {
      this.downLogged = true;
      this.log.warn({ redis: this.shownUrl, reason }, 'redis unavailable; serving from the local pool and local sessions');
    }
    if (wasUp && this.events.listening) this.events.emit({ type: 'down', reason });
    // A socket that stays open while Redis is slow gets no 'ready' to bring it back: ask it.
    if (this.client.isReady) this.startProbe();
  }

  private startProbe(): void {
    if (this.probe !== undefined) return;
    this.probe = setInterval(() => {
      if (!this.client.isReady) return;
      void withTimeout(this.client.ping(), this.options.timeoutMs, 'late').then(
        (r) => {
          if (r !== 'late') this.markUp();
        },
        () => undefined,
      );
    }, this.options.probeMs ?? 1_000).unref();
  }

  private stopProbe(): void {
    if (this.probe !== undefined) clearInterval(this.probe);
    this.probe = undefined;
  }

  /** An error's message with the URL's password blanked (node-redis may quote what it was given). */
  private scrub(err: unknown): string {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return this.secret === undefined ? text : text.split(this.secret).join('***');
  }
}

/** Resolves with `p`, or with `onTimeout` after `ms` (a real, unref'd timer; `p` is left to settle). */
function withTimeout<T, U = undefined>(p: Promise<T>, ms: number, onTimeout?: U): Promise<T | U> {
  return new Promise<T | U>((resolve, reject) => {
    const timer = setTimeout(() => resolve(onTimeout as U), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
}

function passwordOf(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p === '' ? undefined : p;
  } catch {
    return undefined;
  }
}
