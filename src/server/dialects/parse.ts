/**
 * Selection in the proxy credentials, in the dialects of commercial rotating gateways (table.ts):
 *
 *   session-abc-country-de                                  swivel
 *   customer-USER-cc-US-sessid-abc123-sesstime-10           Oxylabs
 *   brd-customer-hl_1234-zone-res-country-us-session-abc    Bright Data
 *   user-USER-country-us-session-abc-sessionduration-30     Decodo
 *   package-123-country-us-sessionid-abc-sessionlength-600  SOAX
 *   password pass_country-de_session-abcd1234_lifetime-10m  IPRoyal (parameters in the password)
 *
 * An account prefix is matched against `--auth`'s user, or skipped without `--auth`; either way it
 * names the session namespace. An unknown key or a malformed value is an error naming the bad part,
 * never a silent default. Runs per request, so it walks strings with indexOf, not split + regex.
 */
import { SwivelError } from '../../errors.js';
import { ENDPOINT_NETWORKS } from '../../config/types.js';
import { ACCOUNT_PREFIXES, DIALECT_KEYS, KNOWN_KEYS_HINT, type DialectKey } from './table.js';

export interface UsernameSelection {
  session?: string;
  cc?: string;
  state?: string;
  city?: string;
  ep?: string;
  /** The session's idle TTL asked for by the client (sesstime, lifetime, ...), uncapped. */
  sessionTtlMs?: number;
}

export interface ParsedCredentials {
  selection: UsernameSelection;
  /** The account prefix or --auth user; sessions of different accounts never meet. */
  account: string | undefined;
  /** The password without IPRoyal-style `_key-value` parameters. */
  password: string;
}

const MAX_SESSION = 64;
const MAX_PLACE = 64;
const MAX_TTL_MS = 7 * 24 * 3_600_000;
const DASH = 45;

function bad(message: string): SwivelError {
  return new SwivelError('bad_selector', message);
}

/** a-z A-Z 0-9 _ ; sessions are case-sensitive ids. */
function isIdChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isAllIdChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isIdChar(s.charCodeAt(i))) return false;
  return true;
}

function isAllLetters(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

function setOnce<K extends keyof UsernameSelection>(out: UsernameSelection, key: K, value: UsernameSelection[K], label: string): void {
  if (out[key] !== undefined) throw bad(`username pair \`${label}\` is given twice`);
  out[key] = value;
}

function parseTtlMs(spec: DialectKey, key: string, value: string): number {
  let digits = value;
  let unitMs = spec.unit === 'seconds' ? 1000 : 60_000;
  if (spec.unit === 'with-unit') {
    const unit = value.charCodeAt(value.length - 1) | 0x20;
    const perUnit = unit === 115 ? 1000 : unit === 109 ? 60_000 : unit === 104 ? 3_600_000 : unit === 100 ? 86_400_000 : 0;
    if (perUnit === 0) throw bad(`username pair \`${key}-${value}\`: expected a number with a unit, such as 30s, 10m, 1h or 1d`);
    digits = value.slice(0, -1);
    unitMs = perUnit;
  }
  const n = /^\d{1,7}$/.test(digits) ? Number(digits) : NaN;
  if (!(n > 0) || n * unitMs > MAX_TTL_MS) {
    const unitName = spec.unit === 'seconds' ? 'seconds' : spec.unit === 'minutes' ? 'minutes' : 'a duration';
    throw bad(`username pair \`${key}-${value}\`: expected ${unitName} from 1 up to 7 days`);
  }
  return n * unitMs;
}

/** Apply one `key-value` pair; `key` is lower case. */
export function applyPair(out: UsernameSelection, key: string, value: string): void {
  const spec = DIALECT_KEYS[key];
  if (spec === undefined) throw bad(`unknown username pair key \`${key}\`; known: ${KNOWN_KEYS_HINT}`);
  switch (spec.field) {
    case 'session':
      if (value.length > MAX_SESSION || !isAllIdChars(value)) {
        throw bad(`username pair \`${key}-${value}\`: a session id is 1-${MAX_SESSION} letters, digits or underscores`);
      }
      setOnce(out, 'session', value, key);
      return;
    case 'ttl':
      setOnce(out, 'sessionTtlMs', parseTtlMs(spec, key, value), key);
      return;
    case 'cc':
      if (value.length !== 2 || !isAllLetters(value)) {
        throw bad(`username pair \`${key}-${value}\`: expected a two-letter country code such as us or de`);
      }
      setOnce(out, 'cc', value.toLowerCase(), key);
      return;
    case 'state':
    case 'city': {
      if (value.length > MAX_PLACE || !isAllIdChars(value)) {
        throw bad(`username pair \`${key}-${value}\`: expected a place name with underscores for spaces (new_york)`);
      }
      let place = value.toLowerCase();
      // Oxylabs writes the country in front of the state: st-us_california.
      if (key === 'st' && place.length > 3 && place.charCodeAt(2) === 95 && isAllLetters(place.slice(0, 2))) {
        const cc = place.slice(0, 2);
        if (out.cc !== undefined && out.cc !== cc) throw bad(`username pair \`${key}-${value}\` names another country than \`${out.cc}\``);
        out.cc = cc;
        place = place.slice(3);
      }
      setOnce(out, spec.field, place.replaceAll('_', ' '), key);
      return;
    }
    case 'ep': {
      const ep = value.toLowerCase();
      if (!ENDPOINT_NETWORKS.includes(ep)) throw bad(`username pair \`ep-${value}\`: expected one of ${ENDPOINT_NETWORKS.join(', ')}`);
      setOnce(out, 'ep', ep, key);
      return;
    }
    case 'unsupported':
      throw bad(`username pair \`${key}-${value}\`: swivel knows \`${key}\` (${spec.from}) but cannot select by it; drop it`);
  }
}

/** Parse `key-value[-key-value...]` into `out`; the empty string selects nothing. */
export function parseSelectionPairs(pairs: string, out: UsernameSelection = {}): UsernameSelection {
  let pos = 0;
  while (pos < pairs.length) {
    const keyEnd = pairs.indexOf('-', pos);
    if (keyEnd === -1) throw bad(`username pair \`${pairs.slice(pos)}\` has no value`);
    const key = pairs.slice(pos, keyEnd);
    if (key === '') throw bad('empty pair key in username (two dashes in a row?)');
    let valueEnd = pairs.indexOf('-', keyEnd + 1);
    if (valueEnd === -1) valueEnd = pairs.length;
    const value = pairs.slice(keyEnd + 1, valueEnd);
    if (value === '') throw bad(`username pair \`${key}\` has an empty value`);
    applyPair(out, key.toLowerCase(), value);
    if (valueEnd === pairs.length - 1) throw bad('username ends with a dash; pairs are key-value, e.g. session-abc-country-de');
    pos = valueEnd + 1;
  }
  return out;
}

interface AccountSplit {
  /** The whole prefix as typed (`brd-customer-hl_1234-zone-res`), or undefined when there is none. */
  prefix: string | undefined;
  /** The customer's name inside it (`hl_1234`). */
  name: string | undefined;
  /** What follows the prefix, without its dash. */
  rest: string;
}

function nextToken(s: string, from: number): [string, number] {
  const end = s.indexOf('-', from);
  return end === -1 ? [s.slice(from), s.length] : [s.slice(from, end), end];
}

/** Split off a gateway's account prefix (customer-X, brd-customer-X[-zone-Y], user-X, package-N, account-X). */
function splitAccount(username: string): AccountSplit {
  const [first, firstEnd] = nextToken(username, 0);
  const head = first.toLowerCase();
  if (!ACCOUNT_PREFIXES.includes(head)) return { prefix: undefined, name: undefined, rest: username };
  let pos = firstEnd + 1;
  if (head === 'brd') {
    const [customer, end] = nextToken(username, pos);
    if (customer.toLowerCase() !== 'customer') throw bad('username prefix `brd` must go on with `-customer-<id>` (Bright Data)');
    pos = end + 1;
  }
  const [name, nameEnd] = nextToken(username, pos);
  if (name === '' || pos > username.length) throw bad(`username prefix \`${head}\` needs the account name after it (${head}-NAME)`);
  let end = nameEnd;
  if (head === 'brd') {
    const [zone, zoneEnd] = nextToken(username, end + 1);
    if (zone.toLowerCase() === 'zone') {
      const [zoneName, zoneNameEnd] = nextToken(username, zoneEnd + 1);
      if (zoneName === '') throw bad('username prefix `zone` needs the zone name after it (zone-NAME)');
      end = zoneNameEnd;
    }
  }
  return { prefix: username.slice(0, end), name, rest: end >= username.length ? '' : username.slice(end + 1) };
}

/**
 * The account and the selection pairs of a username. With `authUser`, the username must be that
 * user (any characters, dashes included) optionally followed by `-pairs`, or a gateway prefix
 * whose whole text or account name is that user; undefined when it is someone else (→ 407).
 */
export function splitUsername(username: string, authUser: string | undefined): { account: string | undefined; pairs: string } | undefined {
  if (username !== authUser && username.charCodeAt(username.length - 1) === DASH) {
    throw bad('username ends with a dash; pairs are key-value, e.g. session-abc-country-de');
  }
  if (authUser !== undefined) {
    if (username === authUser) return { account: authUser, pairs: '' };
    if (username.startsWith(authUser) && username.charCodeAt(authUser.length) === DASH) {
      const pairs = username.slice(authUser.length + 1);
      if (pairs === '') throw bad('username ends with a dash; pairs are key-value, e.g. alice-session-abc');
      return { account: authUser, pairs };
    }
    const split = splitAccount(username);
    if (split.prefix === undefined || (split.prefix !== authUser && split.name !== authUser)) return undefined;
    return { account: authUser, pairs: split.rest };
  }
  const split = splitAccount(username);
  return { account: split.prefix, pairs: split.rest };
}

/** Selection from a username alone (no password parameters); undefined for another user than `authUser`. */
export function parseUsername(username: string, authUser: string | undefined): UsernameSelection | undefined {
  const split = splitUsername(username, authUser);
  return split === undefined ? undefined : parseSelectionPairs(split.pairs);
}

/** Where the IPRoyal-style `_key-value` parameters start in a password: the first `_<known key>-`. */
function paramStart(password: string, from: number): number {
  for (let i = password.indexOf('_', from); i !== -1; i = password.indexOf('_', i + 1)) {
    const dash = password.indexOf('-', i + 1);
    if (dash !== -1 && DIALECT_KEYS[password.slice(i + 1, dash).toLowerCase()] !== undefined) return i;
  }
  return -1;
}

/** Split `pass_country-de_session-x` into the password and the parameters, applied to `out`. */
export function splitPasswordParams(password: string, out: UsernameSelection): string {
  let start = paramStart(password, 0);
  if (start === -1) return password;
  const plain = password.slice(0, start);
  while (start !== -1) {
    const next = paramStart(password, start + 1);
    const param = password.slice(start + 1, next === -1 ? password.length : next);
    const dash = param.indexOf('-');
    const value = param.slice(dash + 1);
    if (value === '') throw bad(`password parameter \`${param.slice(0, dash)}\` has an empty value`);
    applyPair(out, param.slice(0, dash).toLowerCase(), value);
    start = next;
  }
  return plain;
}

/**
 * Everything the credentials say: selection from the username pairs and the password parameters,
 * the account namespace and the bare password. Undefined when the username names another user than
 * `authUser` (the caller answers 407).
 */
export function parseCredentials(username: string, password: string, authUser: string | undefined): ParsedCredentials | undefined {
  const split = splitUsername(username, authUser);
  if (split === undefined) return undefined;
  const selection = parseSelectionPairs(split.pairs);
  const bare = splitPasswordParams(password, selection);
  return { selection, account: split.account, password: bare };
}
