/**
 * Assemble the configuration once, at the edge: defaults ← env `SWIVEL_<NAME>` ← flags, each
 * value parsed by values.ts and checked by checks.ts. This is the only reader of process.env. Every message quotes the bad value and where it came
 * from, so a user can fix it without reading code:
 *   Expected `--num` to be an integer from 1 to 1000, got `abc` (string)
 */
import { resolveApiBase } from '../provider/presets.js';
import { geoValue, portList, probeUrl, redisUrl, statePath, validateApiBase } from './checks.js';
import { OPTIONS, RENAMED, envName, type OptionName, type OptionSpec, type OptionValue } from './options.js';
import type { SwivelConfig } from './types.js';
import { fail, parseValue, type Raw } from './values.js';
import { sessionPortRange } from './port-range.js';

export type RawFlags = Readonly<Record<string, unknown>>;
type Env = Readonly<Record<string, string | undefined>>;

function rawValue(name: OptionName, flags: RawFlags, env: Env): Raw | undefined {
  const flag = flags[name];
  if (flag !== undefined) {
    // yargs turns a repeated flag into an array; the last one wins, as in most CLIs.
    return { value: Array.isArray(flag) ? flag[flag.length - 1] : flag, source: `--${name}` };
  }
  const fromEnv = env[envName(name)];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: envName(name) };
  const spec: OptionSpec = OPTIONS[name];
  if (spec.default !== undefined) return { value: spec.default, source: 'default' };
  return undefined;
}

/** Reject flags that were renamed or that users commonly guess, with a hint. */
export function checkRenamed(flags: RawFlags): void {
  for (const key of Object.keys(flags)) {
    const hint = RENAMED[key];
    if (hint !== undefined) fail(`Unknown option \`--${key}\`; did you mean \`--${hint}\`?`);
  }
}

/**
 * Resolve the whole configuration. `flags` are what yargs parsed (only given flags, no defaults);
 * `env` defaults to the process environment.
 */
export function loadConfig(flags: RawFlags, env: Env = process.env): SwivelConfig {
  checkRenamed(flags);
  const raws = new Map<OptionName, Raw>();
  const values = new Map<OptionName, unknown>();
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const raw = rawValue(name, flags, env);
    if (raw === undefined) continue;
    raws.set(name, raw);
    values.set(name, parseValue(name, raw));
  }
  // Every value was parsed by its kind in values.ts, so the cast only restates what parseValue did.
  const get = <N extends OptionName>(name: N): OptionValue<N> => values.get(name) as OptionValue<N>;
  const src = (name: OptionName): string => raws.get(name)?.source ?? `--${name}`;

  const proxiesFile = get('proxies-file');
  const explicitBase = get('api-base');
  const provider = get('provider');
  const base = resolveApiBase(provider, explicitBase);
  const apiBase = base === undefined ? undefined : validateApiBase(base, explicitBase !== undefined ? src('api-base') : src('provider'));
  if (proxiesFile !== undefined && apiBase !== undefined) {
    fail('Pass either --proxies-file or --api-base/--provider, not both');
  }

  const listenPort = get('port');
  const socksPort = get('socks-port');
  const adminPort = get('admin-port');
  for (const [a, b] of [
    ['port', 'socks-port'],
    ['port', 'admin-port'],
    ['socks-port', 'admin-port'],
  ] as const) {
    const pa = get(a);
    if (pa !== 0 && pa === get(b)) fail(`\`--${a}\` and \`--${b}\` are both ${pa}; give each listener its own port`);
  }

  const sessionPorts = sessionPortRange(get('session-ports'), src('session-ports'));
  if (sessionPorts !== undefined) {
    for (const name of ['port', 'socks-port', 'admin-port'] as const) {
      const p = get(name);
      if (p !== 0 && p >= sessionPorts.first && p <= sessionPorts.last) {
        fail(
          `\`--${name}\` ${p} is inside \`--session-ports\` ${sessionPorts.first}-${sessionPorts.last}; give each listener its own port`,
        );
      }
    }
  }

  return {
    source: {
      apiBase,
      appKey: get('app-key'),
      proxiesFile,
      num: get('num'),
      life: get('life'),
      format: get('format'),
      lb: get('lb'),
      apiTimeoutMs: get('api-timeout'),
      apiConcurrency: get('api-concurrency'),
      sizing: get('extract-sizing'),
      apiMaxBodyBytes: get('api-max-body') * 1024,
      apiRatePerMin: get('api-rate'),
    },
    geo: {
      cc: geoValue('cc', get('cc'), src('cc')),
      state: geoValue('state', get('state'), src('state')),
      city: geoValue('city', get('city'), src('city')),
      ep: get('ep'),
    },
    pool: {
      rotate: get('rotate'),
      maxAgeMs: get('max-age'),
      sessionTtlMs: get('session-ttl'),
      sessionMaxTtlMs: get('session-max-ttl'),
      sessionMax: get('session-max'),
      poolMin: get('pool-min'),
      acquireTimeoutMs: get('acquire-timeout'),
      idleDropMs: get('idle-drop'),
      strictSessions: get('strict-sessions'),
      stateFile: statePath(get('state-file'), src('state-file')),
    },
    listen: {
      host: get('host'),
      port: listenPort,
      socksPort: socksPort === 0 ? undefined : socksPort,
      adminPort,
      drainTimeoutMs: get('drain-timeout'),
      auth: get('auth'),
      headerTimeoutMs: get('header-timeout'),
      keepAliveTimeoutMs: get('keepalive-timeout'),
      maxHeaderSize: get('max-header-size'),
      maxHeaders: get('max-headers'),
      maxConnections: get('max-connections'),
      denyPrivateTargets: get('deny-private-targets'),
      allowPorts: portList(get('allow-ports'), src('allow-ports')),
      authChallenge: get('auth-challenge') ?? get('auth') !== undefined,
      ...(sessionPorts === undefined
        ? {}
        : {
            sessionPorts: {
              ...sessionPorts,
              geo: {
                cc: geoValue('cc', get('session-ports-cc') ?? get('cc'), src('session-ports-cc')),
                state: geoValue('state', get('session-ports-state') ?? get('state'), src('session-ports-state')),
                city: geoValue('city', get('session-ports-city') ?? get('city'), src('session-ports-city')),
                ep: get('session-ports-ep') ?? get('ep'),
              },
            },
          }),
    },
    admin: {
      host: get('admin-host'),
      auth: get('admin-auth'),
      readyMin: get('ready-min'),
      poolLabelCap: get('metrics-pool-cap'),
      accessLog: get('access-log'),
    },
    upstream: {
      protocol: get('upstream-protocol'),
      tunnelEngine: get('tunnel-engine'),
      connectTimeoutMs: get('connect-timeout'),
      responseTimeoutMs: get('response-timeout'),
      attemptTimeoutMs: get('attempt-timeout') ?? Math.max(1, Math.round(get('response-timeout') / 3)),
      idleTimeoutMs: get('idle-timeout'),
      socksTimeoutMs: get('socks-timeout'),
      retries: get('retries'),
      allowPrivateEndpoints: get('allow-private-endpoints'),
    },
    health: {
      maxFailures: get('max-failures'),
      probeIdleMs: get('probe-idle'),
      probeUrl: probeUrl(get('probe-url'), src('probe-url')),
      probeConcurrency: get('probe-concurrency'),
    },
    cluster: {
      redisUrl: redisUrl(get('redis-url'), src('redis-url')),
      redisPrefix: get('redis-prefix'),
      redisTimeoutMs: get('redis-timeout'),
    },
    logLevel: get('log-level'),
  };
}

/** Checks that need a source to extract from (serve, extract), kept apart so `demo` can fill it in. */
export function requireSource(config: SwivelConfig): void {
  const { apiBase, appKey, proxiesFile } = config.source;
  if (proxiesFile !== undefined) return;
  if (apiBase === undefined) {
    fail(
      'No endpoint source: pass --api-base (or SWIVEL_API_BASE) with --app-key, or --proxies-file. Try `swivel demo` for an offline run',
    );
  }
  if (appKey === undefined) fail('Missing app key: pass --app-key or set SWIVEL_APP_KEY');
}

export { isLoopbackHost, securityWarnings } from './warnings.js';

/**
 * One option resolved the usual way (flag ← env ← default) and validated; undefined when unset.
 * For commands that need a few catalogue options rather than a whole SwivelConfig (the account
 * commands).
 */
export function loadOption(name: OptionName, flags: RawFlags, env: Env = process.env): unknown {
  const raw = rawValue(name, flags, env);
  return raw === undefined ? undefined : parseValue(name, raw);
}
