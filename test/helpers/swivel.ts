/**
 * Start the simulator and a SwivelApp in front of it, on 127.0.0.1 with ephemeral ports, with a
 * JSON log sink the test can read (log-sink.ts). Everything started here is closed by `stopAll()`, which each
 * integration test file registers with afterEach.
 */
import { SwivelApp, type StartSummary } from '../../src/app.js';
import type { Clock, ManualClock } from '../../src/clock.js';
import { loadConfig, type RawFlags } from '../../src/config/load.js';
import type { SwivelConfig } from '../../src/config/types.js';
import { startSimulation, type Simulation, type SimulationOptions, type SimUpstream } from '../../src/sim/index.js';
import { createLogSink, type LogSink } from './log-sink.js';

const cleanups: Array<() => Promise<void>> = [];

/** Close everything started since the last call, newest first (apps before the sims they use). */
export async function stopAll(): Promise<void> {
  const pending = cleanups.splice(0).reverse();
  for (const cleanup of pending) await cleanup();
}

/** Have `stopAll()` run `cleanup` too (apps built outside createSwivel). */
export function registerCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

export async function startSim(opts: SimulationOptions = {}): Promise<Simulation> {
  const sim = await startSimulation(opts);
  cleanups.push(() => sim.close());
  return sim;
}

/** The config a test runs with: the sim as source, private endpoints allowed, port 0, SOCKS off, no env. */
export function configFor(sim: Simulation, flags: RawFlags = {}): SwivelConfig {
  return loadConfig(
    { 'api-base': sim.apiBase, 'app-key': sim.appKey, 'allow-private-endpoints': true, port: 0, 'socks-port': 0, ...flags },
    {},
  );
}

export interface SwivelOptions {
  sim?: SimulationOptions;
  /** CLI-style flags over the defaults of `configFor`. */
  flags?: RawFlags;
  clock?: Clock;
  /** Run the SOCKS5 listener on an ephemeral port (from code, socksPort 0 is ephemeral): no port race. */
  socks?: boolean;
  /** Open the admin listener on an ephemeral port (read it from `app.admin.port`). */
  admin?: boolean;
  /** Runs after the sim is up and before the app starts (break the provider, set modes). */
  beforeStart?: (sim: Simulation) => void | Promise<void>;
}

export interface Harness {
  sim: Simulation;
  app: SwivelApp;
  summary: StartSummary;
  logs: LogSink;
  /** swivel's HTTP listener port. */
  port: number;
  /** `GET` this through swivel to learn which upstream carried the request. */
  ipUrl: string;
  /** An echo path: the target answers with the method, headers and body it received. */
  echoUrl: string;
  /** The sim upstream whose outgoing address is `ip`. */
  upstreamByIp(ip: string): SimUpstream;
}

/** Build the app without starting it, cleanup registered. */
export async function createSwivel(opts: SwivelOptions = {}): Promise<{ sim: Simulation; app: SwivelApp; logs: LogSink }> {
  const sim = await startSim(opts.sim);
  await opts.beforeStart?.(sim);
  const logs = createLogSink();
  const base = configFor(sim, opts.flags);
  const config = opts.socks === true ? { ...base, listen: { ...base.listen, socksPort: 0 } } : base;
  const app = new SwivelApp(config, {
    logger: logs.logger,
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.admin === true ? { adminEphemeral: true } : {}),
  });
  cleanups.push(() => app.stop());
  return { sim, app, logs };
}

export async function startSwivel(opts: SwivelOptions = {}): Promise<Harness> {
  const { sim, app, logs } = await createSwivel(opts);
  const summary = await app.start();
  return {
    sim,
    app,
    summary,
    logs,
    port: app.http.port,
    ipUrl: `${sim.target.url}/ip`,
    echoUrl: `${sim.target.url}/echo`,
    upstreamByIp(ip) {
      const up = sim.upstreams.find((u) => u.localAddress === ip);
      if (up === undefined) throw new Error(`no sim upstream sends from ${ip}`);
      return up;
    },
  };
}

/**
 * Move a manual clock by `ms` in steps, letting extractions that the refresher's own tick starts
 * finish between steps, as they would in real time (a single jump would strand a call in flight
 * past its deadline).
 */
export async function advanceSettled(clock: ManualClock, app: SwivelApp, ms: number, stepMs = 1_000): Promise<void> {
  for (let moved = 0; moved < ms; moved += stepMs) {
    await clock.advanceAsync(Math.min(stepMs, ms - moved));
    await app.refresher.settled();
  }
}

/**
 * Ask the refresher for the default sub-pool and move the manual clock (in steps, at most
 * `maxMs`) until the demand settles: a demand inside a back-off waits on that clock.
 */
export async function demandSettled(clock: ManualClock, app: SwivelApp, maxMs = 120_000, stepMs = 1_000): Promise<void> {
  let done = false;
  const demand = app.refresher.demand(app.pool.defaultPool).finally(() => (done = true));
  for (let moved = 0; !done && moved < maxMs; moved += stepMs) {
    await clock.advanceAsync(stepMs);
    await app.refresher.settled();
  }
  await demand;
}
