/**
 * Ingest guard: endpoints the provider lists that point at loopback, link-local, private or other
 * non-routable ranges are refused unless the user allows them (the simulator and tests must), since
 * a compromised or buggy API answer could otherwise turn swivel into a door to the local network.
 * An endpoint on one of our own listen ports is refused even then: it would loop forever.
 */
import net from 'node:net';
import type { ParsedEndpoint } from '../provider/types.js';

function ipv4Private(a: number, b: number): string | undefined {
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'shared (CGNAT)';
  if (a === 0) return 'unspecified';
  if (a >= 224) return 'multicast/reserved';
  return undefined;
}

/** Characters of the numeric IPv4 spellings `dns.lookup` accepts: `127.1`, `2130706433`, `0x7f000001`. */
const NUMERIC_HOST = /^[0-9a-fx.]+$/i;

/**
 * Canonical text of an IP literal in any spelling the resolver would accept, or the host unchanged.
 * The WHATWG URL parser applies the same inet_aton rules as the resolver, so we let it decide.
 */
function canonicalIp(host: string, family: number): string {
  const v6 = family === 6;
  try {
    const hostname = new URL(`http://${v6 ? `[${host}]` : host}/`).hostname;
    return v6 ? hostname.slice(1, -1) : hostname;
  } catch {
    return host;
  }
}

/** `::ffff:7f00:1` → `127.0.0.1` (IPv4-mapped, RFC 4291 §2.5.5.2, as the URL parser prints it). */
function mappedIpv4(v6: string): string | undefined {
  if (!v6.startsWith('::ffff:')) return undefined;
  const rest = v6.slice(7);
  if (net.isIP(rest) === 4) return rest;
  const colon = rest.indexOf(':');
  if (colon === -1) return undefined;
  const hi = parseInt(rest.slice(0, colon), 16);
  const lo = parseInt(rest.slice(colon + 1), 16);
  if (!Number.isInteger(hi) || !Number.isInteger(lo)) return undefined;
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why `host` is not a public address, or undefined when it is (or is a host name). */
export function nonRoutableReason(host: string): string | undefined {
  let lower = host.toLowerCase();
  let family = net.isIP(lower);
  // Dotted-quad IPv4, the usual answer, is already canonical; other IP spellings are rewritten.
  if (family === 6 || (family === 0 && NUMERIC_HOST.test(lower))) {
    lower = canonicalIp(lower, family);
    family = net.isIP(lower);
  }
  if (lower === 'localhost' || lower.endsWith('.localhost')) return 'loopback';
  if (family === 4) {
    const dot1 = lower.indexOf('.');
    const dot2 = lower.indexOf('.', dot1 + 1);
    return ipv4Private(Number(lower.slice(0, dot1)), Number(lower.slice(dot1 + 1, dot2)));
  }
  if (family === 6) {
    if (lower === '::1') return 'loopback';
    if (lower === '::') return 'unspecified';
    if (lower.startsWith('fe8') || lower.startsWith('fe9') || lower.startsWith('fea') || lower.startsWith('feb')) return 'link-local';
    if (lower.startsWith('fc') || lower.startsWith('fd')) return 'private';
    if (lower.startsWith('ff')) return 'multicast/reserved';
    const v4 = mappedIpv4(lower);
    if (v4 !== undefined) return nonRoutableReason(v4);
  }
  return undefined;
}

export interface AddressFilterOptions {
  allowPrivate: boolean;
  /** Our own listen ports (HTTP, SOCKS, admin). */
  ownPorts: readonly number[];
}

/** Build the refresher's `reject` hook (also applied to every address a host name resolves to). */
export function createAddressFilter(options: AddressFilterOptions): (e: Pick<ParsedEndpoint, 'host' | 'port'>) => string | undefined {
  return (e) => {
    const reason = nonRoutableReason(e.host);
    if (reason === undefined) return undefined;
    // 0.0.0.0 and :: reach local listeners on Linux just like loopback does.
    if ((reason === 'loopback' || reason === 'unspecified') && options.ownPorts.includes(e.port)) {
      return `points at swivel's own listener (port ${e.port})`;
    }
    if (options.allowPrivate) return undefined;
    return `${reason} address ${e.host} (pass --allow-private-endpoints to accept)`;
  };
}
