/**
 * What both listeners ask of the credentials: may this client use the proxy, and what does it
 * select? One function, so HTTP, CONNECT, SOCKS5 and the session ports answer alike.
 */
import { SwivelError } from '../../errors.js';
import type { Endpoint } from '../../pool/endpoint.js';
import { mergeGeo, type GeoSelection } from '../../pool/geo-key.js';
import { parseCredentials, type ParsedCredentials } from './parse.js';

export { parseCredentials, parseSelectionPairs, parseUsername, type UsernameSelection } from './parse.js';
export { DIALECT_KEYS } from './table.js';

export interface AuthPolicy {
  /** --auth: the only user:pass accepted. */
  auth?: { username: string; password: string } | undefined;
  /** Answer 407 to a request without credentials (browsers send theirs only after a challenge). */
  challenge: boolean;
  defaultGeo: GeoSelection;
  /** A client-asked session TTL is capped by --session-max-ttl and the endpoint lifetime. */
  sessionTtlCapMs: number;
}

/** What a dial needs from the credentials. */
export interface ClientSelection {
  geo: GeoSelection;
  session: string | undefined;
  sessionTtlMs: number | undefined;
  /** Endpoints to avoid while others are usable (session ports). */
  spread?: readonly Endpoint[];
}

export function authRequired(message = 'proxy authentication required: wrong or missing user:pass'): SwivelError {
  return new SwivelError('proxy_auth_required', message);
}

export function resolveSelection(parsed: ParsedCredentials | undefined, policy: AuthPolicy): ClientSelection {
  const sel = parsed?.selection ?? {};
  // Namespaced by account: two scrapers under different prefixes that both pick `session-1` stay apart.
  const session = sel.session === undefined ? undefined : parsed?.account === undefined ? sel.session : `${parsed.account}:${sel.session}`;
  const ttl = sel.sessionTtlMs === undefined ? undefined : Math.min(sel.sessionTtlMs, policy.sessionTtlCapMs);
  return { geo: mergeGeo(policy.defaultGeo, sel), session, sessionTtlMs: ttl };
}

/**
 * Check and read the credentials; `username` undefined means the client sent none. Throws
 * `proxy_auth_required` (407 / RFC 1929 failure) or `bad_selector` (400 naming the bad part).
 */
export function authorize(username: string | undefined, password: string | undefined, policy: AuthPolicy): ClientSelection {
  const { auth } = policy;
  if (username === undefined) {
    if (auth !== undefined || policy.challenge) throw authRequired('proxy authentication required: send user:pass');
    return resolveSelection(undefined, policy);
  }
  const parsed = parseCredentials(username, password ?? '', auth?.username);
  if (auth !== undefined && (parsed === undefined || parsed.password !== auth.password)) throw authRequired();
  return resolveSelection(parsed, policy);
}
