/**
 * The state file's format: what swivel keeps across a restart, and the one check that decides
 * whether a file read at start is ours. Pure: no I/O, no clock. A file that is not JSON, not
 * this format and version, written for another endpoint source, or with any entry out of shape
 * is rejected whole with a reason (one log line, then a normal start): half-trusting a damaged
 * file could bind a session to the wrong endpoint.
 */
import type { EndpointHealth } from '../pool/endpoint.js';
import { geoKey, type GeoSelection } from '../pool/geo-key.js';
import type { DemandSnapshot } from '../refresh/demand.js';

export const STATE_FORMAT = 'swivel-state';
export const STATE_VERSION = 1;

export interface EndpointRecord {
  host: string;
  port: number;
  username?: string;
  password?: string;
  extractedAt: number;
  expiresAt: number;
  health: EndpointHealth;
  ejectedUntil: number;
  ejections: number;
  consecutiveFailures: number;
  uses: number;
  successes: number;
  failures: number;
  lastUsedAt: number;
}

export interface PoolRecord {
  key: string;
  geo: GeoSelection;
  demand?: DemandSnapshot;
  endpoints: EndpointRecord[];
}

export interface SessionRecord {
  /** The session key (sub-pool key # client's id). */
  key: string;
  /** Sub-pool key and endpoint id (`host:port`) it is bound to. */
  pool: string;
  endpoint: string;
  ttlMs: number;
  touchedAt: number;
}

export interface StateDocument {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  savedAt: number;
  /** The endpoint source's secret-free name (`api http://…/gateway`): endpoints of another source are not ours. */
  source: string;
  pools: PoolRecord[];
  sessions: SessionRecord[];
}

export type Decoded = { ok: true; state: StateDocument } | { ok: false; reason: string };

const HEALTH: readonly string[] = ['unknown', 'healthy', 'ejected'];

export function encodeState(state: StateDocument): string {
  return `${JSON.stringify(state)}\n`;
}

/** Parse and check a state file's text; `source` is the current endpoint source's name. */
export function decodeState(text: string, source: string): Decoded {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!isObject(doc) || doc['format'] !== STATE_FORMAT) return { ok: false, reason: 'not a swivel state file' };
  if (doc['version'] !== STATE_VERSION)
    return { ok: false, reason: `state format version ${String(doc['version'])}, expected ${STATE_VERSION}` };
  if (doc['source'] !== source) return { ok: false, reason: 'written for another endpoint source' };
  if (!isNumber(doc['savedAt']) || !Array.isArray(doc['pools']) || !Array.isArray(doc['sessions'])) {
    return { ok: false, reason: 'missing savedAt, pools or sessions' };
  }
  for (const [i, p] of doc['pools'].entries()) {
    const why = checkPool(p);
    if (why !== undefined) return { ok: false, reason: `pools[${i}]: ${why}` };
  }
  for (const [i, s] of doc['sessions'].entries()) {
    if (
      !isObject(s) ||
      !isString(s['key']) ||
      !isString(s['pool']) ||
      !isString(s['endpoint']) ||
      !isNumber(s['ttlMs']) ||
      !isNumber(s['touchedAt'])
    ) {
      return { ok: false, reason: `sessions[${i}]: out of shape` };
    }
  }
  return { ok: true, state: doc as unknown as StateDocument };
}

function checkPool(p: unknown): string | undefined {
  if (!isObject(p) || !isString(p['key']) || !isObject(p['geo']) || !Array.isArray(p['endpoints'])) return 'out of shape';
  const geo = p['geo'];
  for (const f of ['cc', 'state', 'city', 'ep']) if (geo[f] !== undefined && !isString(geo[f])) return `geo.${f} is not a string`;
  if (geoKey(geo as GeoSelection) !== p['key']) return 'key does not match its geo';
  const d = p['demand'];
  if (d !== undefined) {
    if (!isObject(d) || !isNumber(d['bucketMs']) || !isNumber(d['watchedSince']) || !Array.isArray(d['buckets']))
      return 'demand out of shape';
    for (const b of d['buckets'])
      if (!Array.isArray(b) || b.length !== 2 || !isNumber(b[0]) || !isNumber(b[1])) return 'demand bucket out of shape';
  }
  for (const [i, e] of p['endpoints'].entries()) {
    if (!isObject(e) || !isString(e['host']) || e['host'] === '') return `endpoints[${i}]: no host`;
    const port = e['port'];
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) return `endpoints[${i}]: bad port`;
    for (const f of ['username', 'password']) if (e[f] !== undefined && !isString(e[f])) return `endpoints[${i}]: ${f} is not a string`;
    if (!HEALTH.includes(e['health'] as string)) return `endpoints[${i}]: bad health`;
    for (const f of [
      'extractedAt',
      'expiresAt',
      'ejectedUntil',
      'ejections',
      'consecutiveFailures',
      'uses',
      'successes',
      'failures',
      'lastUsedAt',
    ]) {
      if (!isNumber(e[f])) return `endpoints[${i}]: ${f} is not a number`;
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
