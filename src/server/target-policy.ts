/**
 * What a client may ask swivel to reach, checked before any endpoint is contacted, the same for
 * CONNECT, absolute-form and SOCKS5: a port in 1–65535 and a non-empty host always; optionally
 * (for operators who expose swivel to others) no literal loopback/private/link-local target and
 * only the ports listed in --allow-ports. swivel never dials a target itself, so names are left to
 * the upstream: only literals can be judged here.
 */
import { SwivelError } from '../errors.js';
import { nonRoutableReason } from '../pool/address-filter.js';

export interface TargetPolicy {
  denyPrivate: boolean;
  /** Empty: every port allowed. */
  allowPorts: readonly number[];
}

export const OPEN_POLICY: TargetPolicy = { denyPrivate: false, allowPorts: [] };

/** Throws a coded error when `host:port` may not be asked for; returns nothing otherwise. */
export function checkTarget(host: string, port: number, policy: TargetPolicy): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SwivelError('bad_target', `target port ${port} is outside 1-65535`);
  }
  if (host.length === 0) throw new SwivelError('bad_target', 'target host is empty');
  if (policy.allowPorts.length > 0 && !policy.allowPorts.includes(port)) {
    throw new SwivelError('target_denied', `target port ${port} is not in --allow-ports`);
  }
  if (policy.denyPrivate) {
    const reason = nonRoutableReason(host);
    if (reason !== undefined) throw new SwivelError('target_denied', `target is a ${reason} address (--deny-private-targets)`);
  }
}

/**
 * True when an absolute-form request-target has an empty authority (`http:///x`, `http://:80/`):
 * the WHATWG URL parser would otherwise read the path's first segment as the host.
 */
export function hasEmptyAuthority(rawUrl: string): boolean {
  const scheme = rawUrl.indexOf('://');
  if (scheme === -1) return false;
  const c = rawUrl.charCodeAt(scheme + 3);
  // '/', '?', '#', ':', '@' or end right after "://" mean there is no host.
  return Number.isNaN(c) || c === 47 || c === 63 || c === 35 || c === 58 || c === 64;
}

/** Port of a CONNECT authority-form target (`host:port`, `[v6]:port`), or NaN when absent/garbled. */
export function authorityPort(target: string): number {
  const colon = target.lastIndexOf(':');
  if (colon === -1 || colon < target.lastIndexOf(']')) return NaN;
  const text = target.slice(colon + 1);
  if (text.length === 0 || text.length > 5) return text.length > 5 ? 65536 : NaN;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
  }
  return Number(text);
}
