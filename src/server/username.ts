/**
 * Selection in the proxy username, the way commercial rotating gateways do it: dash-separated
 * key-value pairs, optionally after the configured user name.
 *
 *   session-abc-country-de          (no --auth)
 *   alice-session-abc-cc-us-city-new_york   (--auth alice:secret)
 *
 * Keys: session, country (alias cc), state, city (underscore for space), ep. An unknown key or a
 * malformed value is an error naming the bad part, never a silent default. Runs per request, so it
 * walks the string with indexOf instead of split + regex.
 */
import { SwivelError } from '../errors.js';
import { ENDPOINT_NETWORKS } from '../config/types.js';

export interface UsernameSelection {
  session?: string;
  cc?: string;
  state?: string;
  city?: string;
  ep?: string;
}

const MAX_SESSION = 64;
const MAX_PLACE = 64;

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

function setOnce(out: UsernameSelection, key: keyof UsernameSelection, value: string, label: string): void {
  if (out[key] !== undefined) throw bad(`username pair \`${label}\` is given twice`);
  out[key] = value;
}

function applyPair(out: UsernameSelection, key: string, value: string): void {
  switch (key) {
    case 'session':
      if (value.length > MAX_SESSION || !isAllIdChars(value)) {
        throw bad(`username pair \`session-${value}\`: a session id is 1-${MAX_SESSION} letters, digits or underscores`);
      }
      setOnce(out, 'session', value, 'session');
      return;
    case 'country':
    case 'cc':
      if (value.length !== 2 || !isAllLetters(value)) {
        throw bad(`username pair \`${key}-${value}\`: expected a two-letter country code such as us or de`);
      }
      setOnce(out, 'cc', value.toLowerCase(), key);
      return;
    case 'state':
    case 'city':
      if (value.length > MAX_PLACE || !isAllIdChars(value)) {
        throw bad(`username pair \`${key}-${value}\`: expected a place name with underscores for spaces (new_york)`);
      }
      setOnce(out, key, value.toLowerCase().replaceAll('_', ' '), key);
      return;
    case 'ep': {
      const ep = value.toLowerCase();
      if (!ENDPOINT_NETWORKS.includes(ep)) throw bad(`username pair \`ep-${value}\`: expected one of ${ENDPOINT_NETWORKS.join(', ')}`);
      setOnce(out, 'ep', ep, 'ep');
      return;
    }
    default:
      throw bad(`unknown username pair key \`${key}\`; known: session, country (cc), state, city, ep`);
  }
}

/** Parse `key-value[-key-value...]`; the empty string selects nothing. */
export function parseSelectionPairs(pairs: string): UsernameSelection {
  const out: UsernameSelection = {};
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

/**
 * Split a client's username into selection pairs. With `authUser`, the username must be that user
 * optionally followed by `-pairs`; returns undefined when it is a different user (caller answers 407).
 */
export function parseUsername(username: string, authUser: string | undefined): UsernameSelection | undefined {
  if (authUser === undefined) return parseSelectionPairs(username);
  if (!username.startsWith(authUser)) return undefined;
  if (username.length === authUser.length) return {};
  if (username.charCodeAt(authUser.length) !== 45 /* - */) return undefined;
  const pairs = username.slice(authUser.length + 1);
  if (pairs === '') throw bad('username ends with a dash; pairs are key-value, e.g. alice-session-abc');
  return parseSelectionPairs(pairs);
}
