/**
 * Resolve and validate options once, at the edge: defaults ← env `SWIVEL_<NAME>` ← flags.
 * This is the only reader of process.env. Every message quotes the bad value and where it came
 * from, so a user can fix it without reading code:
 *   Expected `--num` to be an integer from 1 to 1000, got `abc` (string)
 */
import { SwivelError } from '../errors.js';
import { redactUrl } from '../logger.js';
import { resolveApiBase } from '../provider/presets.js';
import { parseDuration } from './duration.js';
import { OPTIONS, RENAMED, envName, type OptionName, type OptionSpec } from './options.js';
import type { LogLevel, RotateStrategy, SwivelConfig, UpstreamProtocol } from './types.js';

export type RawFlags = Readonly<Record<string, unknown>>;
type Env = Readonly<Record<string, string | undefined>>;

interface Raw {
  value: unknown;
  /** How the user spelled it: `--num`, `SWIVEL_NUM` or `default`. */
  source: string;
}

function fail(message: string): never {
  throw new SwivelError('config_invalid', message);
}

function describeValue(value: unknown): string {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${shown}\` (${typeof value})`;
}

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

function parseInteger(raw: Raw, spec: OptionSpec): number {
  // Plain decimal only: Number() would also take `0x10` and `1e2`, which nobody means for a port.
  const n =
    typeof raw.value === 'number' ? raw.value : typeof raw.value === 'string' && /^\s*-?\d+\s*$/.test(raw.value) ? Number(raw.value) : NaN;
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(`Expected \`${raw.source}\` to be an integer from ${min} to ${max}, got ${describeValue(raw.value)}`);
  }
  return n;
}

function parseValue(name: OptionName, raw: Raw): unknown {
  const spec: OptionSpec = OPTIONS[name];
  switch (spec.kind) {
    case 'int':
      return parseInteger(raw, spec);
    case 'duration': {
      const text = String(raw.value).trim();
      // `--api-timeout 10` most likely means seconds; reading it as 10 ms would fail every call.
      if (/^\d+(\.\d+)?$/.test(text) && Number(text) !== 0) {
        fail(`\`${raw.source}\` needs a unit: \`${text}s\` or \`${text}ms\` (durations read 500ms, 30s, 5m, 1h)`);
      }
      const ms = parseDuration(text);
      // Durations are positive unless the option says 0 means something (drain-timeout: at once).
      if (ms === undefined || !Number.isFinite(ms) || ms < (spec.min ?? 1)) {
        fail(`Expected \`${raw.source}\` to be a duration such as 500ms, 30s, 5m or 1h, got ${describeValue(raw.value)}`);
      }
      return ms;
    }
    case 'enum': {
      const v = String(raw.value).toLowerCase();
      if (!spec.choices?.includes(v)) {
        fail(`Expected \`${raw.source}\` to be one of ${spec.choices?.join(', ')}, got ${describeValue(raw.value)}`);
      }
      return v;
    }
    case 'boolean': {
      if (typeof raw.value === 'boolean') return raw.value;
      const v = String(raw.value).toLowerCase();
      if (v === 'true' || v === '1' || v === 'yes') return true;
      if (v === 'false' || v === '0' || v === 'no') return false;
      return fail(`Expected \`${raw.source}\` to be true or false, got ${describeValue(raw.value)}`);
    }
    case 'credentials': {
      const v = String(raw.value);
      const colon = v.indexOf(':');
      if (colon <= 0 || colon === v.length - 1) {
        // Never echo the value: it holds a password.
        fail(`Expected \`${raw.source}\` to be user:pass with both parts non-empty`);
      }
      const username = v.slice(0, colon);
      if (username.includes('-')) {
        fail(`\`${raw.source}\`: the username must not contain '-', which separates the selection pairs (user-session-abc-country-de)`);
      }
      return { username, password: v.slice(colon + 1) };
    }
    case 'string':
    case 'secret': {
      if (typeof raw.value !== 'string' && typeof raw.value !== 'number') {
        fail(`Expected \`${raw.source}\` to be a value, got ${spec.kind === 'secret' ? 'nothing' : describeValue(raw.value)}`);
      }
      const v = String(raw.value).trim();
      if (v === '') fail(`Expected \`${raw.source}\` to be non-empty`);
      return v;
    }
  }
}

/** Reject flags that were renamed or that users commonly guess, with a hint. */
export function checkRenamed(flags: RawFlags): void {
  for (const key of Object.keys(flags)) {
    const hint = RENAMED[key];
    if (hint !== undefined) fail(`Unknown option \`--${key}\`; did you mean \`--${hint}\`?`);
  }
}

function geoValue(name: 'cc' | 'state' | 'city', value: string | undefined, source: string): string | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (name === 'cc' && !/^[a-z]{2}$/.test(v)) {
    fail(`Expected \`${source}\` to be a two-letter country/region code such as us or de, got \`${value}\``);
  }
  if (!/^[\p{L}\p{N} _.']{1,64}$/u.test(v)) fail(`Expected \`${source}\` to be a place name, got \`${value}\``);
  return v;
}

function validateApiBase(apiBase: string, source: string): string {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    return fail(`Expected \`${source}\` to be an http(s) URL such as https://api.example.com/gateway, got \`${redactUrl(apiBase)}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`Expected \`${source}\` to be an http(s) URL, got protocol \`${url.protocol}\``);
  }
  if (url.searchParams.has('app_key')) fail(`\`${source}\` must not carry app_key; pass it with --app-key or SWIVEL_APP_KEY`);
  return apiBase.replace(/\/+$/, '');
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
  const get = <T>(name: OptionName): T => values.get(name) as T;
  const src = (name: OptionName): string => raws.get(name)?.source ?? `--${name}`;

  const proxiesFile = get<string | undefined>('proxies-file');
  const explicitBase = get<string | undefined>('api-base');
  const provider = get<string | undefined>('provider');
  const base = resolveApiBase(provider, explicitBase);
  const apiBase = base === undefined ? undefined : validateApiBase(base, explicitBase !== undefined ? src('api-base') : src('provider'));
  if (proxiesFile !== undefined && apiBase !== undefined) {
    fail('Pass either --proxies-file or --api-base/--provider, not both');
  }

  const listenPort = get<number>('port');
  const socksPort = get<number>('socks-port');
  const adminPort = get<number>('admin-port');
  for (const [a, b] of [
    ['port', 'socks-port'],
    ['port', 'admin-port'],
    ['socks-port', 'admin-port'],
  ] as const) {
    const pa = get<number>(a);
    if (pa !== 0 && pa === get<number>(b)) fail(`\`--${a}\` and \`--${b}\` are both ${pa}; give each listener its own port`);
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
    },
    geo: {
      cc: geoValue('cc', get('cc'), src('cc')),
      state: geoValue('state', get('state'), src('state')),
      city: geoValue('city', get('city'), src('city')),
      ep: get('ep'),
    },
    pool: {
      rotate: get<RotateStrategy>('rotate'),
      maxAgeMs: get('max-age'),
      sessionTtlMs: get('session-ttl'),
      sessionMax: get('session-max'),
      poolMin: get('pool-min'),
      acquireTimeoutMs: get('acquire-timeout'),
      idleDropMs: get('idle-drop'),
      strictSessions: get('strict-sessions'),
    },
    listen: {
      host: get('host'),
      port: listenPort,
      socksPort,
      adminPort,
      drainTimeoutMs: get('drain-timeout'),
      auth: get('auth'),
    },
    upstream: {
      protocol: get<UpstreamProtocol>('upstream-protocol'),
      connectTimeoutMs: get('connect-timeout'),
      responseTimeoutMs: get('response-timeout'),
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
    logLevel: get<LogLevel>('log-level'),
  };
}

function probeUrl(value: string | undefined, source: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:') fail(`Expected \`${source}\` to be an http:// URL, got \`${value}\``);
  return value;
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

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Start-up warnings about exposure; printed loudly by the CLI, never fatal. */
export function securityWarnings(config: SwivelConfig): string[] {
  const out: string[] = [];
  if (!isLoopbackHost(config.listen.host) && config.listen.auth === undefined) {
    out.push(
      `WARNING: listening on ${config.listen.host} without --auth: anyone who can reach this address can use your proxy traffic. Pass --auth user:pass or bind 127.0.0.1.`,
    );
  }
  return out;
}

/**
 * One option resolved the usual way (flag ← env ← default) and validated; undefined when unset.
 * For commands that need a few catalogue options rather than a whole SwivelConfig (the account
 * commands).
 */
export function loadOption(name: OptionName, flags: RawFlags, env: Env = process.env): unknown {
  const raw = rawValue(name, flags, env);
  return raw === undefined ? undefined : parseValue(name, raw);
}
