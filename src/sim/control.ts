/**
 * A small control surface on the simulated provider, so a person trying the demo can break and
 * mend upstreams while a scraper loops through swivel, and watch the log say what was ejected:
 *   GET  /sim/upstreams                 list upstreams with their country and mode
 *   POST /sim/upstreams/<index>/<mode>  set a failure mode (refuse, silent, auth-407, ok, ...)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-server.js';
import type { SimUpstream, UpstreamMode } from './upstream.js';

export const CONTROL_PREFIX = '/sim/upstreams';

export const UPSTREAM_MODES: readonly UpstreamMode[] = [
  'ok',
  'refuse',
  'reset-before-headers',
  'reset-after-headers',
  'auth-407',
  'silent',
  'slow-start',
  'reject-connect',
];

function describe(u: SimUpstream): Record<string, unknown> {
  return { index: u.index, id: u.id, country: u.country, ep: u.ep, exitIp: u.localAddress, mode: u.mode };
}

/** Handles `/sim/upstreams...`; returns false for any other path. */
export function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, upstreams: readonly SimUpstream[]): boolean {
  if (pathname !== CONTROL_PREFIX && !pathname.startsWith(`${CONTROL_PREFIX}/`)) return false;
  if (pathname === CONTROL_PREFIX) {
    if (req.method !== 'GET') sendJson(res, 405, { code: 405, msg: 'use GET to list, POST /sim/upstreams/<index>/<mode> to change' });
    else sendJson(res, 200, { upstreams: upstreams.map(describe), modes: UPSTREAM_MODES });
    return true;
  }
  const [indexText, mode] = pathname.slice(CONTROL_PREFIX.length + 1).split('/');
  const upstream = upstreams[Number(indexText)];
  if (req.method !== 'POST' || upstream === undefined || !UPSTREAM_MODES.includes(mode as UpstreamMode)) {
    sendJson(res, 400, { code: 400, msg: `expected POST ${CONTROL_PREFIX}/<0..${upstreams.length - 1}>/<${UPSTREAM_MODES.join('|')}>` });
    return true;
  }
  upstream.setMode(mode as UpstreamMode).then(
    () => sendJson(res, 200, describe(upstream)),
    (err: unknown) => sendJson(res, 500, { code: 500, msg: String(err) }),
  );
  return true;
}
