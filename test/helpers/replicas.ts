/**
 * N swivel replicas in this process against ONE simulator and one Redis, sharing one manual clock
 * (so expiry scores agree, as wall clocks do in a real fleet). Cleanup goes through stopAll().
 */
import { SwivelApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import type { RawFlags } from '../../src/config/load.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import type { Simulation } from '../../src/sim/index.js';
import { createLogSink, type LogSink } from './log-sink.js';
import { configFor, registerCleanup } from './swivel.js';

export interface Replica {
  app: SwivelApp;
  logs: LogSink;
  port: number;
}

export async function startReplicas(sim: Simulation, n: number, flags: RawFlags, clock = new ManualClock()): Promise<Replica[]> {
  const built = Array.from({ length: n }, () => {
    const logs = createLogSink();
    const app = new SwivelApp(configFor(sim, flags), { logger: logs.logger, clock });
    registerCleanup(() => app.stop());
    return { app, logs };
  });
  // Together, as a Deployment's pods start: every one of them cold.
  await Promise.all(built.map((r) => r.app.start()));
  return built.map((r) => ({ ...r, port: r.app.http.port }));
}

/** The endpoint with this id in a replica's default sub-pool. */
export function endpointIn(replica: Replica, id: string): Endpoint | undefined {
  return replica.app.pool.defaultPool.byEndpointId(id);
}
