/**
 * The one loop both listeners run: pick an endpoint, try it, report the outcome, and on a
 * connect-level failure try another endpoint, up to `retries` more times, as long as nothing has
 * reached the client yet and the request may be replayed (RFC 9110 §9.2.2). A connection to an
 * endpoint that failed before any byte of the request was sent is retried whatever the method, and
 * a refused connect (the endpoint is gone, ejected at once) does not use up the retry budget: each
 * one removes an endpoint, so the loop is bounded by the sub-pool's size.
 *
 * Time: `responseTimeoutMs` is the whole budget of one request, counted from its first attempt; no
 * request waits longer than that for an answer, however many endpoints it tries. Within it, an
 * attempt that has not answered after `attemptTimeoutMs` is not abandoned but *hedged*: another
 * endpoint is tried alongside it and the first answer wins ("The Tail at Scale", Dean & Barroso).
 * So a silent endpoint costs a replayable request `attemptTimeoutMs`, not the whole budget, and a
 * target that is merely slow still gets the whole budget on its first endpoint. The loser is
 * cancelled; it is blamed only when it had started first (another endpoint answered the same
 * request sooner, so the slowness was its own). When the budget runs out with several attempts
 * still waiting, they waited on the same target: that timeout is counted as ambiguous evidence.
 */
import type { Clock } from '../clock.js';
import { ERRORS, SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { PassiveHealth } from '../health/passive.js';
import { isUsable, type Endpoint } from '../pool/endpoint.js';
import type { GeoSelection } from '../pool/geo-key.js';
import type { EndpointPool } from '../pool/pool.js';
import type { SubPool } from '../pool/sub-pool.js';
import { cancelDial, type DialCancel } from '../upstream/types.js';
import { OverloadReporter } from './overload.js';
import { DialSchedule, type Scheduled } from './dial-schedule.js';

/** Failures that happen before any byte of the request left: safe to send elsewhere. */
const NOTHING_SENT = new Set(['upstream_refused', 'upstream_connect_failed', 'endpoint_refused']);

export interface DialRequest {
  geo: GeoSelection;
  session?: string | undefined;
  /** The session's own idle TTL (from the credentials, capped); the pool's default when undefined. */
  sessionTtlMs?: number | undefined;
  /** Endpoints to avoid if any other is usable (session ports spread over distinct endpoints). */
  spread?: readonly Endpoint[] | undefined;
  /** False for a request whose body is being streamed: it cannot be sent twice (nor hedged). */
  replayable: boolean;
  /** Set by the listener when the client leaves; the dial stops and blames nobody. */
  cancel?: DialCancel | undefined;
}

/** Filled in as the dial proceeds, so the caller can report attempts even on failure. */
export interface DialTrace {
  attempts: number;
  /** The endpoint that answered (on failure: the last one tried). */
  endpoint: Endpoint | undefined;
}

/**
 * One try through `endpoint`. `ctl` is cancelled when the client leaves, the budget runs out or
 * another attempt won: the attempt must then tear its upstream work down at once (ctl.onCancel)
 * and reject; that rejection is ignored.
 */
export type Attempt<T> = (endpoint: Endpoint, ctl: DialCancel) => Promise<T>;

/**
 * Told once how a dial ended ({@link Dialer.start}): the callback form of `dial()`'s promise, for
 * the plain-request path, where the promise and the `await` behind it were a measurable part of
 * each request (bench/README.md). `dialFailed` always gets a SwivelError.
 */
export interface DialDone<T> {
  dialed(value: T): void;
  dialFailed(error: SwivelError): void;
}

export interface DialerOptions {
  pool: EndpointPool;
  health: PassiveHealth;
  retries: number;
  /** Fail a session whose endpoint is gone instead of silently moving it to another IP. */
  strictSessions: boolean;
  /** Total budget of one request for an answer, across every attempt. */
  responseTimeoutMs: number;
  /** Try another endpoint alongside an attempt silent this long (replayable requests only). */
  attemptTimeoutMs: number;
  clock: Clock;
  logger?: Logger;
  /** Told how long each attempt took to connect (or fail); feeds the upstream-connect histogram. */
  onAttempt?: (durationMs: number, ok: boolean) => void;
}

export class Dialer {
  readonly log: Logger;
  readonly overload: OverloadReporter;
  /** The hedge and budget times of every dial in flight, on one clock timer (dial-schedule.ts). */
  readonly schedule: DialSchedule;

  constructor(readonly options: DialerOptions) {
    this.schedule = new DialSchedule(options.clock);
    this.log = (options.logger ?? silentLogger).child({ component: 'dialer' });
    this.overload = new OverloadReporter(this.log, () => options.pool.now);
  }

  /**
   * Resolve with the first attempt that answers. `discard` receives a result that arrived after the
   * dial had settled (a hedge that lost a race by a tick) so its socket is not leaked.
   */
  dial<T>(req: DialRequest, trace: DialTrace, attempt: Attempt<T>, discard?: (late: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      new DialRun(this, req, trace, attempt, discard, { dialed: resolve, dialFailed: reject }).start();
    });
  }

  /** `dial()` without a promise: `done` is told the outcome, once. */
  start<T>(req: DialRequest, trace: DialTrace, attempt: Attempt<T>, discard: ((late: T) => void) | undefined, done: DialDone<T>): void {
    new DialRun(this, req, trace, attempt, discard, done).start();
  }
}

function isCancelled(req: DialRequest): boolean {
  return req.cancel?.cancelled === true;
}

/** One attempt in flight; it is also the attempt's cancel (one object per attempt, not two). */
interface Running extends DialCancel {
  endpoint: Endpoint;
  /** performance.now() at start, for the attempt histogram. */
  startedAt: number;
  /** The injected clock at start, for the hedge and budget timers. */
  startedAtClock: number;
  n: number;
}

/** The state of one dial: attempts in flight, endpoints tried, when it is due next (hedge or budget). */
class DialRun<T> implements Scheduled {
  dueAt = 0;
  prevDue: Scheduled | undefined = undefined;
  nextDue: Scheduled | undefined = undefined;
  scheduled = false;
  private readonly sub: SubPool;
  private readonly strict: boolean;
  private readonly running: Running[] = [];
  /** Every endpoint this request was sent to (a retry or hedge prefers any other). */
  private tried: Endpoint[] | undefined;
  private lastError: SwivelError | undefined;
  /** Refused connects, which do not use up the retry budget (bounded by the sub-pool's size). */
  private free = 0;
  private deadline = 0;
  private acquiring = false;
  private settled = false;

  constructor(
    private readonly dialer: Dialer,
    private readonly req: DialRequest,
    private readonly trace: DialTrace,
    private readonly attempt: Attempt<T>,
    private readonly discard: ((late: T) => void) | undefined,
    private readonly done: DialDone<T>,
  ) {
    const { pool, strictSessions } = dialer.options;
    this.sub = pool.subPoolFor(req.geo);
    this.strict = strictSessions && req.session !== undefined;
  }

  start(): void {
    if (this.req.cancel !== undefined) this.req.cancel.onCancel = () => this.clientLeft();
    void this.next();
  }

  private get clock(): Clock {
    return this.dialer.options.clock;
  }

  /** Attempts left in the budget (refused connects are free). */
  private budgetLeft(): boolean {
    return this.trace.attempts - this.free <= this.dialer.options.retries;
  }

  /** Start the next attempt, waiting for the pool when nothing is usable now. */
  private async next(): Promise<void> {
    const req = this.req;
    let endpoint: Endpoint | undefined;
    try {
      if (isCancelled(req)) throw new SwivelError('client_closed', 'client closed the connection');
      if (this.strict) this.checkStrictSession();
      endpoint = this.pick();
      if (endpoint === undefined) {
        this.acquiring = true;
        endpoint = await this.acquire();
        this.acquiring = false;
      }
    } catch (err) {
      this.acquiring = false;
      // Another attempt may still answer; only the last one standing reports.
      if (this.running.length === 0)
        this.fail(isSwivelError(err) ? err : new SwivelError('internal', 'unexpected failure', { cause: err }));
      return;
    }
    if (this.settled) return;
    if (isCancelled(req)) return this.fail(new SwivelError('client_closed', 'client closed the connection'));
    if (this.deadline !== 0 && this.clock.now() >= this.deadline) return this.timedOut();
    this.launch(endpoint);
  }

  /** Synchronous pick: the session's endpoint, spread for session ports, or any untried one. */
  private pick(): Endpoint | undefined {
    const { pool } = this.dialer.options;
    const req = this.req;
    const avoid = this.tried;
    return (
      (req.spread !== undefined && avoid === undefined ? pool.select(this.sub, req.session, req.spread, req.sessionTtlMs) : undefined) ??
      pool.select(this.sub, req.session, avoid, req.sessionTtlMs)
    );
  }

  /**
   * Wait for the pool (a fresh extraction when nothing usable is left). When this request already
   * failed on every endpoint there is, the upstream's error says more than "pool empty".
   */
  private async acquire(): Promise<Endpoint> {
    const req = this.req;
    try {
      return await this.dialer.options.pool.acquire({ geo: req.geo, session: req.session, sessionTtlMs: req.sessionTtlMs }, this.tried);
    } catch (err) {
      if (this.lastError !== undefined && isSwivelError(err, 'pool_empty')) throw this.lastError;
      throw err;
    }
  }

  private launch(endpoint: Endpoint): void {
    const now = this.clock.now();
    if (this.deadline === 0) this.deadline = now + this.dialer.options.responseTimeoutMs;
    this.trace.attempts++;
    this.trace.endpoint = endpoint;
    (this.tried ??= []).push(endpoint);
    const run: Running = {
      cancelled: false,
      onCancel: undefined,
      endpoint,
      startedAt: performance.now(),
      startedAtClock: now,
      n: this.trace.attempts,
    };
    this.running.push(run);
    endpoint.inFlight++;
    this.arm();
    let p: Promise<T>;
    try {
      p = this.attempt(endpoint, run);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (value) => this.answered(run, value),
      (err: unknown) => this.attemptFailed(run, err),
    );
  }

  /** Due next at the next hedge point, or at the deadline when no hedge is due. */
  private arm(): void {
    const { attemptTimeoutMs } = this.dialer.options;
    let at = this.deadline;
    if (this.mayHedge()) {
      const newest = this.running[this.running.length - 1]!;
      const hedgeAt = newest.startedAtClock + attemptTimeoutMs;
      if (hedgeAt < at) at = hedgeAt;
    }
    this.dialer.schedule.at(this, at);
  }

  private mayHedge(): boolean {
    return (
      this.req.replayable &&
      !this.strict &&
      this.budgetLeft() &&
      this.dialer.options.attemptTimeoutMs < this.dialer.options.responseTimeoutMs
    );
  }

  /** Scheduled: the hedge point or the deadline has come. */
  due(): void {
    if (this.settled) return;
    if (this.clock.now() >= this.deadline) return this.timedOut();
    if (this.mayHedge() && !this.acquiring) {
      const endpoint = this.pick();
      if (endpoint !== undefined) {
        this.dialer.log.debug(
          { endpoint: endpoint.id, after: this.running[0]?.endpoint.id, attempt: this.trace.attempts + 1 },
          'hedging a silent attempt',
        );
        this.launch(endpoint);
        return;
      }
    }
    // Nothing to hedge with: wait out the budget.
    this.dialer.schedule.at(this, this.deadline);
  }

  private answered(run: Running, value: T): void {
    run.endpoint.inFlight--;
    const tookMs = performance.now() - run.startedAt;
    if (this.settled || run.cancelled) {
      this.discard?.(value);
      return;
    }
    const { health, pool } = this.dialer.options;
    health.success(run.endpoint, tookMs);
    this.dialer.options.onAttempt?.(tookMs, true);
    this.remove(run);
    // Attempts that started before this one were slower than another endpoint on the same request.
    for (const other of this.running) {
      if (other.n < run.n)
        this.blame(other, new SwivelError('upstream_timeout', 'upstream proxy did not answer in time (another endpoint did)'));
    }
    // A hedge re-bound the session to itself; the endpoint that answered keeps it.
    if (this.req.session !== undefined && this.running.length > 0)
      pool.keepSession(this.sub, this.req.session, run.endpoint, this.req.sessionTtlMs);
    this.trace.endpoint = run.endpoint;
    this.settle();
    this.done.dialed(value);
  }

  private attemptFailed(run: Running, err: unknown): void {
    run.endpoint.inFlight--;
    if (this.settled || run.cancelled) return;
    this.remove(run);
    const { health, retries } = this.dialer.options;
    this.dialer.options.onAttempt?.(performance.now() - run.startedAt, false);
    const error = isSwivelError(err) ? err : new SwivelError('internal', 'unexpected failure while forwarding', { cause: err });
    if (isCancelled(this.req)) return this.fail(new SwivelError('client_closed', 'client closed the connection', { cause: error }));
    if (error.code === 'overloaded') this.dialer.overload.report('dial', error.details?.['errno']);
    const blames = ERRORS[error.code].blamesEndpoint;
    if (blames) health.failure(run.endpoint, error);
    this.dialer.log.debug({ endpoint: run.endpoint.id, code: error.code, attempt: run.n }, 'attempt failed');
    if (error.code === 'upstream_refused' && this.free < this.sub.size) this.free++;
    const replayable = this.req.replayable || NOTHING_SENT.has(error.code);
    const retry = blames && replayable && this.trace.attempts - this.free <= retries;
    if (retry && this.strict) return this.fail(this.sessionLost(run.endpoint, error.code));
    this.lastError = error;
    if (this.running.length > 0) {
      // A hedge is still waiting; it is this request's retry. Its timer may hedge again.
      this.arm();
      return;
    }
    if (!retry) return this.fail(error);
    if (this.clock.now() >= this.deadline) return this.timedOut();
    void this.next();
  }

  /** The budget is spent: cancel what is still waiting and answer 504. */
  private timedOut(): void {
    const shared = this.running.length > 1;
    const waiting = this.running.slice();
    for (const run of waiting) {
      const error = new SwivelError('upstream_timeout', 'upstream proxy did not answer in time', {
        details: { endpoint: run.endpoint.id, phase: 'response' },
      });
      this.blame(run, error, shared);
    }
    const error = new SwivelError('upstream_timeout', 'no upstream answered in time', {
      details: { attempts: this.trace.attempts, budgetMs: this.dialer.options.responseTimeoutMs },
    });
    this.fail(waiting.length > 0 || this.lastError === undefined ? error : this.lastError);
  }

  /** Cancel `run` and count its slowness against its endpoint. */
  private blame(run: Running, error: SwivelError, shared = false): void {
    this.remove(run);
    cancelDial(run);
    this.dialer.options.onAttempt?.(performance.now() - run.startedAt, false);
    this.dialer.options.health.failure(run.endpoint, error, shared);
    this.dialer.log.debug({ endpoint: run.endpoint.id, code: error.code, attempt: run.n }, 'attempt failed');
  }

  private clientLeft(): void {
    if (this.settled) return;
    this.fail(new SwivelError('client_closed', 'client closed the connection'));
  }

  private fail(error: SwivelError): void {
    if (this.settled) return;
    this.settle();
    this.done.dialFailed(error);
  }

  /** Leave the schedule and stop every attempt still running; blames nobody. */
  private settle(): void {
    this.settled = true;
    this.dialer.schedule.cancel(this);
    if (this.req.cancel !== undefined) this.req.cancel.onCancel = undefined;
    for (const run of this.running) cancelDial(run);
    this.running.length = 0;
  }

  private remove(run: Running): void {
    const i = this.running.indexOf(run);
    if (i >= 0) this.running.splice(i, 1);
  }

  private checkStrictSession(): void {
    const { pool } = this.dialer.options;
    const bound = pool.boundEndpoint(this.sub, this.req.session!);
    if (bound !== undefined && !isUsable(bound, pool.now)) {
      throw this.sessionLost(bound, bound.health === 'ejected' ? 'ejected' : 'expired');
    }
  }

  private sessionLost(endpoint: Endpoint, why: string): SwivelError {
    const session = this.req.session!;
    this.dialer.options.pool.forgetSession(this.sub.key, session);
    this.dialer.log.info({ session, endpoint: endpoint.id, why }, 'strict session lost its endpoint');
    return new SwivelError('session_lost', `session ${session} lost its endpoint (${why}); the next request starts a new session`);
  }
}
