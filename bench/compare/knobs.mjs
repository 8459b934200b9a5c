// Knobs of `bench:compare`, from the environment, each bounded so a typo cannot start an
// unbounded run. Defaults keep the whole run (3 rounds × 5 proxies × 4 loads) near 3–4 minutes.
import path from 'node:path';

function int(name, def, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function list(name, def, allowed) {
  const raw = process.env[name];
  const items =
    raw === undefined || raw === ''
      ? def
      : raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  for (const i of items) if (!allowed.includes(i)) throw new Error(`${name}: unknown ${JSON.stringify(i)} (known: ${allowed.join(', ')})`);
  return items;
}

export const LOADS = ['plain', 'connect', 'bulk-plain', 'bulk-connect'];
export const PEERS = ['naive', 'squid', 'haproxy', 'swivel'];

export function readKnobs(repoRoot) {
  const swivels = (process.env.COMPARE_SWIVEL ?? `swivel=${path.join(repoRoot, 'dist/cli/main.js')}`).split(',').map((spec) => {
    const eq = spec.indexOf('=');
    return eq === -1
      ? { label: 'swivel', mainJs: path.resolve(spec) }
      : { label: spec.slice(0, eq), mainJs: path.resolve(spec.slice(eq + 1)) };
  });
  return {
    rounds: int('COMPARE_ROUNDS', 3, 1, 20),
    seconds: int('COMPARE_SECONDS', 4, 1, 60),
    warmupSeconds: int('COMPARE_WARMUP', 1, 0, 10),
    connections: int('COMPARE_CONNECTIONS', 50, 1, 1000),
    connectConcurrency: int('COMPARE_CONNECT_CONCURRENCY', 16, 1, 512),
    maxOps: int('COMPARE_MAX_OPS', 200_000, 100, 2_000_000),
    bulkCount: int('COMPARE_BULK_COUNT', 10, 1, 100),
    bulkMiB: int('COMPARE_BULK_MIB', 10, 1, 256),
    wrkThreads: int('COMPARE_WRK_THREADS', 2, 1, 16),
    haproxyThreads: int('COMPARE_HAPROXY_THREADS', 1, 1, 64),
    useWrk: (process.env.COMPARE_WRK ?? 'auto') !== 'off',
    loads: list('COMPARE_LOADS', LOADS, LOADS),
    peers: list('COMPARE_PROXIES', PEERS, PEERS),
    swivels,
    swivelArgs: (process.env.COMPARE_SWIVEL_ARGS ?? '').split(/\s+/).filter(Boolean),
    jsonOut: process.env.COMPARE_JSON,
    keepTmp: process.env.COMPARE_KEEP_TMP === '1',
  };
}
