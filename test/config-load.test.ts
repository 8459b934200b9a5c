import { describe, it, expect } from 'vitest';
import { SwivelError } from '../src/errors.js';
import { checkRenamed, isLoopbackHost, loadConfig, requireSource, securityWarnings, type RawFlags } from '../src/config/load.js';
import { envName, OPTIONS } from '../src/config/options.js';
import type { SwivelConfig } from '../src/config/types.js';

type Env = Record<string, string | undefined>;

/** loadConfig with an explicit (empty by default) env, so the test never reads process.env. */
function load(flags: RawFlags = {}, env: Env = {}): SwivelConfig {
  return loadConfig(flags, env);
}

/** The SwivelError loadConfig throws; fails the test when it does not throw one. */
function loadError(flags: RawFlags, env: Env = {}): SwivelError {
  try {
    loadConfig(flags, env);
  } catch (err) {
    expect(err).toBeInstanceOf(SwivelError);
    return err as SwivelError;
  }
  throw new Error(`loadConfig(${JSON.stringify(flags)}, ${JSON.stringify(env)}) did not throw`);
}

function thrown(fn: () => unknown): SwivelError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SwivelError);
    return err as SwivelError;
  }
  throw new Error('did not throw');
}

describe('loadConfig defaults', () => {
  it('fills every field from the option catalogue', () => {
    const c = load();
    expect(c.source).toEqual({
      apiBase: undefined,
      appKey: undefined,
      proxiesFile: undefined,
      num: 10,
      life: 5,
      format: undefined,
      lb: undefined,
      apiTimeoutMs: 10_000,
      apiConcurrency: 2,
      sizing: 'demand',
      apiMaxBodyBytes: 4 * 1024 * 1024,
      apiRatePerMin: 0,
    });
    expect(c.geo).toEqual({ cc: undefined, state: undefined, city: undefined, ep: undefined });
    expect(c.pool).toEqual({
      rotate: 'round-robin',
      maxAgeMs: undefined,
      sessionTtlMs: 600_000,
      sessionMaxTtlMs: 86_400_000,
      sessionMax: 10_000,
      poolMin: 3,
      acquireTimeoutMs: 10_000,
      idleDropMs: 600_000,
      strictSessions: false,
    });
    expect(c.listen).toEqual({
      host: '127.0.0.1',
      port: 8080,
      socksPort: 1080,
      adminPort: 0,
      drainTimeoutMs: 5000,
      auth: undefined,
      headerTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      maxHeaderSize: 16_384,
      maxHeaders: 100,
      maxConnections: 0,
      denyPrivateTargets: false,
      allowPorts: [],
      authChallenge: false,
    });
    expect(c.upstream).toEqual({
      protocol: 'http',
      tunnelEngine: 'raw',
      connectTimeoutMs: 5_000,
      attemptTimeoutMs: 5_000,
      responseTimeoutMs: 15_000,
      idleTimeoutMs: 300_000,
      socksTimeoutMs: 10_000,
      retries: 2,
      allowPrivateEndpoints: false,
    });
    expect(c.health).toEqual({ maxFailures: 3, probeIdleMs: 120_000, probeUrl: undefined, probeConcurrency: 4 });
    expect(c.cluster).toEqual({ redisUrl: undefined, redisPrefix: 'swivel', redisTimeoutMs: 200 });
    expect(c.logLevel).toBe('info');
  });

  it('maps option names to SWIVEL_ environment names', () => {
    expect(envName('api-base')).toBe('SWIVEL_API_BASE');
    expect(envName('num')).toBe('SWIVEL_NUM');
    expect(envName('allow-private-endpoints')).toBe('SWIVEL_ALLOW_PRIVATE_ENDPOINTS');
  });
});

describe('loadConfig precedence: defaults ← env ← flags', () => {
  it('env overrides the default', () => {
    expect(load({}, { SWIVEL_NUM: '20' }).source.num).toBe(20);
  });

  it('a flag overrides env', () => {
    expect(load({ num: 30 }, { SWIVEL_NUM: '20' }).source.num).toBe(30);
  });

  it('an empty env value counts as unset', () => {
    expect(load({}, { SWIVEL_NUM: '' }).source.num).toBe(10);
    expect(load({}, { SWIVEL_HOST: '' }).listen.host).toBe('127.0.0.1');
  });

  it('the last of a repeated flag wins', () => {
    expect(load({ num: [5, 7] }).source.num).toBe(7);
  });

  it('reads the same precedence for strings, durations and booleans', () => {
    const env = { SWIVEL_HOST: '10.0.0.1', SWIVEL_API_TIMEOUT: '3s', SWIVEL_STRICT_SESSIONS: 'true', SWIVEL_ROTATE: 'random' };
    const fromEnv = load({}, env);
    expect(fromEnv.listen.host).toBe('10.0.0.1');
    expect(fromEnv.source.apiTimeoutMs).toBe(3_000);
    expect(fromEnv.pool.strictSessions).toBe(true);
    expect(fromEnv.pool.rotate).toBe('random');
    const fromFlags = load({ host: '0.0.0.0', 'api-timeout': '1m', 'strict-sessions': false, rotate: 'least-used' }, env);
    expect(fromFlags.listen.host).toBe('0.0.0.0');
    expect(fromFlags.source.apiTimeoutMs).toBe(60_000);
    expect(fromFlags.pool.strictSessions).toBe(false);
    expect(fromFlags.pool.rotate).toBe('least-used');
  });

  it('ignores environment variables that are not SWIVEL_<NAME>', () => {
    expect(load({}, { NUM: '99', swivel_num: '99' }).source.num).toBe(10);
  });
});

describe('int options', () => {
  it('accepts numbers from flags and numeric strings from env', () => {
    expect(load({ 'pool-min': 7 }).pool.poolMin).toBe(7);
    expect(load({}, { SWIVEL_POOL_MIN: ' 8 ' }).pool.poolMin).toBe(8);
  });

  it('accepts the inclusive bounds', () => {
    expect(load({ num: 1 }).source.num).toBe(1);
    expect(load({ num: 1000 }).source.num).toBe(1000);
    expect(load({ port: 0, 'socks-port': 0 }).listen.port).toBe(0);
  });

  it.each([
    [{ num: 'abc' }, {}, '`--num`', '`abc` (string)'],
    [{}, { SWIVEL_NUM: 'abc' }, '`SWIVEL_NUM`', '`abc` (string)'],
    [{ num: 0 }, {}, '`--num`', '`0` (number)'],
    [{ num: 1001 }, {}, '`--num`', '`1001` (number)'],
    [{ num: 2.5 }, {}, '`--num`', '`2.5` (number)'],
    [{}, { SWIVEL_PORT: '70000' }, '`SWIVEL_PORT`', '`70000` (string)'],
    [{ retries: -1 }, {}, '`--retries`', '`-1` (number)'],
    [{ num: '  ' }, {}, '`--num`', '`  ` (string)'],
    [{ num: true }, {}, '`--num`', '`true` (boolean)'],
  ] as const)('rejects %j %j, quoting source and value', (flags, env, source, shown) => {
    const err = loadError(flags, env);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(source);
    expect(err.message).toContain(shown);
  });

  it('states the allowed range', () => {
    const err = loadError({ num: 0 });
    expect(err.message).toContain(`from ${OPTIONS.num.min} to ${OPTIONS.num.max}`);
  });
});

describe('duration options', () => {
  it('parses unit suffixes', () => {
    expect(load({ 'acquire-timeout': '500ms' }).pool.acquireTimeoutMs).toBe(500);
    expect(load({}, { SWIVEL_MAX_AGE: '2m' }).pool.maxAgeMs).toBe(120_000);
    expect(load({ 'session-ttl': '1h' }).pool.sessionTtlMs).toBe(3_600_000);
  });

  it.each([
    [{ 'api-timeout': 'soon' }, {}, '`--api-timeout`', '`soon`'],
    [{}, { SWIVEL_IDLE_TIMEOUT: '5 days' }, '`SWIVEL_IDLE_TIMEOUT`', '`5 days`'],
    [{ 'connect-timeout': '0s' }, {}, '`--connect-timeout`', '`0s`'],
    [{ 'connect-timeout': 0 }, {}, '`--connect-timeout`', '`0`'],
    [{ 'connect-timeout': -5 }, {}, '`--connect-timeout`', '`-5`'],
    [{ 'api-timeout': 10 }, {}, '`--api-timeout`', '`10s`'],
    [{}, { SWIVEL_SESSION_TTL: '600' }, '`SWIVEL_SESSION_TTL`', '`600ms`'],
  ] as const)('rejects %j %j, quoting source and value', (flags, env, source, shown) => {
    const err = loadError(flags, env);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(source);
    expect(err.message).toContain(shown);
  });
});

describe('enum options', () => {
  it('lower-cases the value', () => {
    expect(load({ rotate: 'RANDOM' }).pool.rotate).toBe('random');
    expect(load({}, { SWIVEL_UPSTREAM_PROTOCOL: 'SOCKS5' }).upstream.protocol).toBe('socks5');
    expect(load({ ep: 'HK' }).geo.ep).toBe('hk');
    expect(load({ 'log-level': 'debug' }).logLevel).toBe('debug');
  });

  it('rejects a value outside the choices, listing them', () => {
    const err = loadError({ rotate: 'sticky' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`--rotate`');
    expect(err.message).toContain('`sticky`');
    expect(err.message).toContain('round-robin, random, least-used');
  });

  it('names the env variable when the bad value came from there', () => {
    const err = loadError({}, { SWIVEL_EP: 'mars' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`SWIVEL_EP`');
    expect(err.message).toContain('`mars`');
  });
});

describe('boolean options', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads env %j as %s', (text, value) => {
    expect(load({}, { SWIVEL_ALLOW_PRIVATE_ENDPOINTS: text }).upstream.allowPrivateEndpoints).toBe(value);
  });

  it('takes booleans from flags as they are', () => {
    expect(load({ 'allow-private-endpoints': true }).upstream.allowPrivateEndpoints).toBe(true);
  });

  it('rejects anything else, quoting source and value', () => {
    const err = loadError({}, { SWIVEL_STRICT_SESSIONS: 'maybe' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`SWIVEL_STRICT_SESSIONS`');
    expect(err.message).toContain('`maybe`');
  });
});

describe('credentials (--auth)', () => {
  it('splits at the first colon; the password may hold colons', () => {
    expect(load({ auth: 'alice:se:cret' }).listen.auth).toEqual({ username: 'alice', password: 'se:cret' });
    expect(load({}, { SWIVEL_AUTH: 'bob:pw' }).listen.auth).toEqual({ username: 'bob', password: 'pw' });
  });

  it.each([
    ['nocolon-hunter2', '`--auth`'],
    [':hunter2', '`--auth`'],
    ['alice:', '`--auth`'],
  ])('rejects %j without echoing the password', (value, source) => {
    const err = loadError({ auth: value });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(source);
    expect(err.message).not.toContain('hunter2');
  });

  it('takes any user name, dashes included (gateway prefixes such as customer-X)', () => {
    expect(load({ auth: 'brd-customer-hl_1-zone-res:pw' }).listen.auth).toEqual({ username: 'brd-customer-hl_1-zone-res', password: 'pw' });
  });

  it('turns the 407 challenge on with --auth, and on its own with --auth-challenge', () => {
    expect(load({ auth: 'a:b' }).listen.authChallenge).toBe(true);
    expect(load({ 'auth-challenge': true }).listen.authChallenge).toBe(true);
    expect(load({ auth: 'a:b', 'auth-challenge': false }).listen.authChallenge).toBe(false);
  });

  it('reads --session-ports as a range with its own geo, and refuses overlaps', () => {
    const c = load({ 'session-ports': '10001-10003', cc: 'us', 'session-ports-cc': 'DE' });
    expect(c.listen.sessionPorts).toEqual({
      first: 10001,
      last: 10003,
      geo: { cc: 'de', state: undefined, city: undefined, ep: undefined },
    });
    expect(loadError({ 'session-ports': '10001-10003', port: 10002 }).message).toContain('`--port` 10002');
    expect(loadError({ 'session-ports': '10-5' }).message).toContain('`--session-ports`');
  });

  it('names the env variable and still hides the password', () => {
    const err = loadError({}, { SWIVEL_AUTH: 'alice-hunter2' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`SWIVEL_AUTH`');
    expect(err.message).not.toContain('hunter2');
  });
});

describe('string and secret options', () => {
  it('trims strings', () => {
    expect(load({ host: ' 0.0.0.0 ' }).listen.host).toBe('0.0.0.0');
    expect(load({ 'app-key': ' k3y ' }).source.appKey).toBe('k3y');
  });

  it('rejects an empty flag value', () => {
    const err = loadError({ host: '   ' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`--host`');
  });

  it('rejects a flag given without a value', () => {
    const err = loadError({ format: true });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`--format`');
    expect(err.message).toContain('`true` (boolean)');
  });

  it('never describes a bad secret value', () => {
    const err = loadError({ 'app-key': true });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`--app-key`');
    expect(err.message).not.toContain('true');
  });
});

describe('geo defaults', () => {
  it('lower-cases country, state and city', () => {
    const c = load({ cc: 'DE', state: 'Bavaria', city: 'New York' });
    expect(c.geo).toEqual({ cc: 'de', state: 'bavaria', city: 'new york', ep: undefined });
  });

  it.each([
    [{ cc: 'deu' }, {}, '`--cc`', '`deu`'],
    [{}, { SWIVEL_CC: 'd1' }, '`SWIVEL_CC`', '`d1`'],
    [{ city: 'a/b' }, {}, '`--city`', '`a/b`'],
    [{ state: 'x'.repeat(65) }, {}, '`--state`', 'x'.repeat(65)],
  ] as const)('rejects %j %j, quoting source and value', (flags, env, source, shown) => {
    const err = loadError(flags, env);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(source);
    expect(err.message).toContain(shown);
  });
});

describe('renamed options', () => {
  it.each([
    ['api-url', '--api-base'],
    ['base-url', '--api-base'],
    ['key', '--app-key'],
    ['app_key', '--app-key'],
    ['rotation', '--rotate'],
    ['proxy-file', '--proxies-file'],
    ['ttl', '--session-ttl'],
  ])('rejects --%s with a hint to %s', (old, hint) => {
    const err = thrown(() => checkRenamed({ [old]: 'x' }));
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(`\`--${old}\``);
    expect(err.message).toContain(`\`${hint}\``);
  });

  it('loadConfig runs the same check', () => {
    const err = loadError({ 'api-url': 'https://api.example.com/gateway' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`--api-base`');
  });

  it('lets current names through', () => {
    expect(() => checkRenamed({ 'api-base': 'x', num: 1, _: [], $0: 'swivel' })).not.toThrow();
  });
});

describe('api base', () => {
  it('strips trailing slashes', () => {
    expect(load({ 'api-base': 'https://api.example.com/gateway//' }).source.apiBase).toBe('https://api.example.com/gateway');
  });

  it('accepts http for local simulators', () => {
    expect(load({}, { SWIVEL_API_BASE: 'http://127.0.0.1:9000/cgi' }).source.apiBase).toBe('http://127.0.0.1:9000/cgi');
  });

  it('rejects app_key in the URL without echoing it', () => {
    const err = loadError({ 'api-base': 'https://api.example.com/gateway?app_key=s3cr3tkey' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`--api-base`');
    expect(err.message).toContain('--app-key');
    expect(err.message).not.toContain('s3cr3tkey');
  });

  it('rejects a non-http protocol', () => {
    const err = loadError({}, { SWIVEL_API_BASE: 'ftp://api.example.com/gateway' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`SWIVEL_API_BASE`');
    expect(err.message).toContain('`ftp:`');
  });

  it('rejects text that is not a URL, quoting it', () => {
    const err = loadError({ 'api-base': 'api.example.com/gateway' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`api.example.com/gateway`');
  });
});

describe('--provider', () => {
  it('fills api base from the preset, case-insensitively', () => {
    expect(load({ provider: 'proxy4free' }).source.apiBase).toBe('https://api.proxy4free.com/cgi');
    expect(load({}, { SWIVEL_PROVIDER: 'ProxyLite' }).source.apiBase).toBe('https://api.proxylite.com/end-point');
  });

  it('gives way to an explicit --api-base', () => {
    expect(load({ provider: 'proxy4free', 'api-base': 'https://api.example.com/gateway' }).source.apiBase).toBe(
      'https://api.example.com/gateway',
    );
  });

  it('rejects an unknown brand, listing the known ones', () => {
    const err = loadError({ provider: 'acme' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`acme`');
    expect(err.message).toContain('proxy4free');
  });
});

describe('--proxies-file', () => {
  it('is accepted alone', () => {
    expect(load({ 'proxies-file': 'list.txt' }).source.proxiesFile).toBe('list.txt');
  });

  it.each([
    [{ 'proxies-file': 'list.txt', 'api-base': 'https://api.example.com/gateway' }, {}],
    [{ 'proxies-file': 'list.txt' }, { SWIVEL_API_BASE: 'https://api.example.com/gateway' }],
    [{ 'proxies-file': 'list.txt', provider: 'proxy4free' }, {}],
  ])('is rejected together with an API base (%j %j)', (flags, env) => {
    const err = loadError(flags, env);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('--proxies-file');
  });
});

describe('listener ports', () => {
  it.each([
    [{ 'socks-port': 8080 }, '`--port` and `--socks-port` are both 8080'],
    [{ 'admin-port': 8080 }, '`--port` and `--admin-port` are both 8080'],
    [{ port: 9000, 'socks-port': 9100, 'admin-port': 9100 }, '`--socks-port` and `--admin-port` are both 9100'],
  ])('rejects a clash %j', (flags, text) => {
    const err = loadError(flags);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(text);
  });

  it('lets several listeners be off (0) at once', () => {
    const c = load({ 'socks-port': 0, 'admin-port': 0 });
    // `--socks-port 0` is "off", which the config says as undefined (0 from code is an ephemeral port).
    expect(c.listen).toMatchObject({ port: 8080, socksPort: undefined, adminPort: 0 });
  });

  it('finds a clash that comes from env', () => {
    const err = loadError({}, { SWIVEL_ADMIN_PORT: '1080' });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('both 1080');
  });
});

describe('--probe-url', () => {
  it('accepts http://', () => {
    expect(load({ 'probe-url': 'http://example.com/' }).health.probeUrl).toBe('http://example.com/');
  });

  it.each(['https://example.com/', 'example.com'])('rejects %j, quoting it', (value) => {
    const err = loadError({ 'probe-url': value });
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('`--probe-url`');
    expect(err.message).toContain(`\`${value}\``);
  });
});

describe('requireSource', () => {
  it('explains how to give a source when there is none', () => {
    const err = thrown(() => requireSource(load()));
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('--api-base');
    expect(err.message).toContain('--proxies-file');
    expect(err.message).toContain('swivel demo');
  });

  it('asks for the app key when only the base is given', () => {
    const err = thrown(() => requireSource(load({ 'api-base': 'https://api.example.com/gateway' })));
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain('--app-key');
    expect(err.message).toContain('SWIVEL_APP_KEY');
  });

  it('is satisfied by base plus key, or by a proxies file', () => {
    expect(() => requireSource(load({ 'api-base': 'https://api.example.com/gateway' }, { SWIVEL_APP_KEY: 'k' }))).not.toThrow();
    expect(() => requireSource(load({ 'proxies-file': 'list.txt' }))).not.toThrow();
  });
});

describe('securityWarnings', () => {
  it('warns about 0.0.0.0 without --auth', () => {
    const warnings = securityWarnings(load({ host: '0.0.0.0' }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('0.0.0.0');
    expect(warnings[0]).toContain('--auth');
  });

  it('is quiet on 0.0.0.0 with --auth', () => {
    expect(securityWarnings(load({ host: '0.0.0.0', auth: 'alice:pw' }))).toEqual([]);
  });

  it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost'])('is quiet on loopback %s without auth', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(securityWarnings(load({ host }))).toEqual([]);
  });

  it('treats a LAN address as exposed', () => {
    expect(isLoopbackHost('192.168.1.10')).toBe(false);
    expect(securityWarnings(load({ host: '192.168.1.10' }))).toHaveLength(1);
  });
});

describe('session ports exposure', () => {
  it('warns loudly when the credential-less session ports listen beyond loopback, even with --auth', () => {
    const warnings = securityWarnings(loadConfig({ host: '0.0.0.0', auth: 'a:b', 'session-ports': '10001-10002' }, {}));
    expect(warnings.join('\n')).toContain('--session-ports');
  });
});
