/**
 * The one table of username (and password) keys swivel understands, with the aliases commercial
 * gateways use for them, so a username copied from Oxylabs, Bright Data, Decodo, SOAX or IPRoyal
 * works as pasted. The README's dialect table is this table; keep them together.
 */

/** What a key sets. `unsupported` keys are real gateway keys swivel cannot honour: a 400 that says so. */
export type DialectField = 'session' | 'ttl' | 'cc' | 'state' | 'city' | 'ep' | 'unsupported';

/** How a lifetime value is read: minutes, seconds, or a number with its unit (10m, 30s, 1h, 1d). */
export type TtlUnit = 'minutes' | 'seconds' | 'with-unit';

export interface DialectKey {
  readonly field: DialectField;
  readonly unit?: TtlUnit;
  /** Who uses this spelling; for messages and the README. */
  readonly from: string;
}

export const DIALECT_KEYS: Readonly<Record<string, DialectKey>> = {
  session: { field: 'session', from: 'swivel, Bright Data, Decodo, IPRoyal' },
  sessid: { field: 'session', from: 'Oxylabs' },
  sessionid: { field: 'session', from: 'SOAX' },
  sid: { field: 'session', from: 'common' },
  sesstime: { field: 'ttl', unit: 'minutes', from: 'Oxylabs' },
  sessionduration: { field: 'ttl', unit: 'minutes', from: 'Decodo' },
  sessionttl: { field: 'ttl', unit: 'minutes', from: 'common' },
  sessionlength: { field: 'ttl', unit: 'seconds', from: 'SOAX' },
  lifetime: { field: 'ttl', unit: 'with-unit', from: 'IPRoyal' },
  country: { field: 'cc', from: 'swivel, Bright Data, Decodo, SOAX, IPRoyal' },
  cc: { field: 'cc', from: 'Oxylabs' },
  state: { field: 'state', from: 'swivel, Bright Data, Decodo, IPRoyal' },
  st: { field: 'state', from: 'Oxylabs (st-us_california)' },
  region: { field: 'state', from: 'SOAX, IPRoyal' },
  city: { field: 'city', from: 'everyone' },
  ep: { field: 'ep', from: 'swivel' },
  zip: { field: 'unsupported', from: 'Bright Data, Decodo' },
  asn: { field: 'unsupported', from: 'Bright Data, Decodo' },
  isp: { field: 'unsupported', from: 'SOAX, IPRoyal' },
  os: { field: 'unsupported', from: 'Bright Data' },
  carrier: { field: 'unsupported', from: 'Bright Data' },
};

/**
 * Account prefixes: the gateway's way of naming the customer, not a selection. Each is followed by
 * one name (`customer-X`); Bright Data's `brd-customer-X` may go on with `-zone-Y`.
 */
export const ACCOUNT_PREFIXES: readonly string[] = ['customer', 'user', 'package', 'account', 'brd'];

/** Keys listed in "unknown key" messages: the canonical spelling of each field. */
export const KNOWN_KEYS_HINT =
  'session (sessid, sessionid, sid), country (cc), state (st, region), city, ep, sesstime, sessionduration, sessionlength, lifetime';
