/**
 * The whole simulated world on loopback: one echo target, N upstream proxy nodes (each sending from its own
 * 127.0.0.(10+i) so the target can tell them apart) and the provider that lists them. Used by `swivel demo`,
 * the integration tests and the benches; Node built-ins only, no network beyond 127.0.0.0/8.
 */
import { startProviderSim, type ProviderSim } from './provider.js';
import { startEchoTarget, type EchoTarget } from './target.js';
import { startSocksUpstream } from './socks-upstream.js';
import { startUpstreamProxy, type SimUpstream, type UpstreamAuth } from './upstream.js';

export { startEchoTarget, normalizeIp, MAX_ECHO_BODY_BYTES } from './target.js';
export type { EchoTarget, EchoTargetOptions, EchoReply } from './target.js';
export { startUpstreamProxy } from './upstream.js';
export type { SimUpstream, UpstreamAuth, UpstreamMode, UpstreamModeOptions, UpstreamOptions } from './upstream.js';
export { startProviderSim } from './provider.js';
export type { AccountBehavior, AccountCall, AccountSim } from './account/router.js';
export type { ExtractCall, ProviderBehavior, ProviderBehaviorOptions, ProviderSim, ProviderSimOptions } from './provider.js';

export interface SimulationOptions {
  /** Number of upstream nodes. Default 8, at most {@link MAX_SIM_UPSTREAMS}. */
  upstreams?: number;
  /** Upstream i gets `countries[i % length]`. Default `['us', 'de', 'gb']`. */
  countries?: string[];
  /** Upstream i gets `eps[i % length]`. Default `['us', 'hk', 'de']`, the document's enumeration. */
  eps?: string[];
  /** Default `demo-key`. */
  appKey?: string;
  /** API path prefix. Default `/gateway`. */
  prefix?: string;
  /** Credentials every upstream demands. Default none. */
  upstreamAuth?: UpstreamAuth;
  /** What the upstream nodes speak: HTTP forward proxy/CONNECT, or SOCKS5 (socks-upstream.ts). Default `http`. */
  upstreamProtocol?: 'http' | 'socks5';
}

export interface Simulation {
  target: EchoTarget;
  upstreams: SimUpstream[];
  provider: ProviderSim;
  /** `provider.apiBase`, e.g. `http://127.0.0.1:41000/gateway`. */
  apiBase: string;
  appKey: string;
  /** Closes everything in parallel. Never rejects. */
  close(): Promise<void>;
}

export const DEFAULT_SIM_COUNTRIES: readonly string[] = ['us', 'de', 'gb'];
export const DEFAULT_SIM_EPS: readonly string[] = ['us', 'hk', 'de'];
/** Local addresses run 127.0.0.10 … 127.0.0.254; the last octet cannot go further. */
export const MAX_SIM_UPSTREAMS = 245;

export async function startSimulation(opts: SimulationOptions = {}): Promise<Simulation> {
  const count = opts.upstreams ?? 8;
  if (!Number.isInteger(count) || count < 0 || count > MAX_SIM_UPSTREAMS) {
    throw new RangeError(`Expected \`upstreams\` to be an integer from 0 to ${MAX_SIM_UPSTREAMS}, got \`${String(count)}\``);
  }
  const countries = nonEmptyList('countries', opts.countries, DEFAULT_SIM_COUNTRIES);
  const eps = nonEmptyList('eps', opts.eps, DEFAULT_SIM_EPS);
  const appKey = opts.appKey ?? 'demo-key';
  const protocol = opts.upstreamProtocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'socks5') {
    throw new RangeError(`Expected \`upstreamProtocol\` to be http or socks5, got \`${String(protocol)}\``);
  }
  const startUpstream = protocol === 'socks5' ? startSocksUpstream : startUpstreamProxy;

  // Everything started so far, so a failure half-way leaves no listener behind.
  const started: Array<{ close(): Promise<void> }> = [];
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.close()));
  };

  try {
    const target = await startEchoTarget();
    started.push(target);
    // allSettled, not all: every start must have finished (and registered) before a failure cleans up.
    const results = await Promise.allSettled(
      Array.from({ length: count }, async (_, i) => {
        const upstream = await startUpstream({
          index: i,
          localAddress: `127.0.0.${10 + i}`,
          country: countries[i % countries.length] ?? '',
          ep: eps[i % eps.length],
          auth: opts.upstreamAuth,
        });
        started.push(upstream);
        return upstream;
      }),
    );
    const upstreams: SimUpstream[] = [];
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
      upstreams.push(result.value);
    }
    const provider = await startProviderSim({ upstreams, appKey, prefix: opts.prefix });
    started.push(provider);
    let closing: Promise<void> | undefined;
    return {
      target,
      upstreams,
      provider,
      apiBase: provider.apiBase,
      appKey,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function nonEmptyList(name: string, value: string[] | undefined, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (value.length === 0) throw new RangeError(`Expected \`${name}\` to be a non-empty list, got \`[]\``);
  return value;
}
