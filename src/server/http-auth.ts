/**
 * Proxy-Authorization (RFC 9110 §11.7.2) with the Basic scheme (RFC 7617), read the way the
 * listener read it through proxy-chain before: scheme case-insensitive, a user-pass without a
 * colon is all username, anything but Basic is a 400. The listener passes the result to
 * dialects/ authorize(), which decides what it selects.
 */
import { SwivelError } from '../errors.js';

export interface BasicCredentials {
  /** undefined: no Proxy-Authorization header at all. */
  username: string | undefined;
  password: string;
}

const NONE: BasicCredentials = { username: undefined, password: '' };
const EMPTY: BasicCredentials = { username: '', password: '' };

export function parseProxyAuthorization(header: string | undefined): BasicCredentials {
  if (header === undefined) return NONE;
  if (header === '') return EMPTY;
  const value = header.trim();
  if (value === '') throw new SwivelError('bad_request', 'invalid Proxy-Authorization header');
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') {
    throw new SwivelError('bad_request', 'the Proxy-Authorization header must use the Basic scheme');
  }
  const decoded = Buffer.from(space === -1 ? '' : value.slice(space + 1), 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon === -1) return { username: decoded, password: '' };
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
