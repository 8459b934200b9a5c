/**
 * Ingest guard: endpoints the provider lists that point at loopback, link-local, private or other
 * non-routable ranges are refused unless the user allows them (the simulator and tests must), since
 * a compromised or buggy API answer could otherwise turn swivel into a door to the local network.
 * An endpoint on one of our own listen ports is refused even then: it would loop forever.
 */
import { ipv4NonRoutableReason, ipv4Number, nonRoutableReason } from '../protocol/ip.js';
import type { ParsedEndpoint } from '../provider/types.js';

export { nonRoutableReason };

export interface AddressFilterOptions {
  allowPrivate: boolean;
  /** Our own listen ports (HTTP, SOCKS, admin). */
  ownPorts: readonly number[];
}

/**
 * Build the refresher's `reject` hook (also applied to every address a host name resolves to).
 * It runs once per extracted entry: a canonical dotted quad, the usual answer, is read in one pass
 * (ipv4Number) and never reaches `net.isIP` or the URL canonicalisation of the other spellings.
 */
export function createAddressFilter(options: AddressFilterOptions): (e: Pick<ParsedEndpoint, 'host' | 'port'>) => string | undefined {
  return (e) => {
    const v4 = ipv4Number(e.host);
    const reason = v4 >= 0 ? ipv4NonRoutableReason(v4) : nonRoutableReason(e.host);
    if (reason === undefined) return undefined;
    // 0.0.0.0 and :: reach local listeners on Linux just like loopback does.
    if ((reason === 'loopback' || reason === 'unspecified') && options.ownPorts.includes(e.port)) {
      return `points at swivel's own listener (port ${e.port})`;
    }
    if (options.allowPrivate) return undefined;
    return `${reason} address ${e.host} (pass --allow-private-endpoints to accept)`;
  };
}
