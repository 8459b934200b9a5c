/**
 * Ingest guard: endpoints the provider lists that point at loopback, link-local, private or other
 * non-routable ranges are refused unless the user allows them (the simulator and tests must), since
 * a compromised or buggy API answer could otherwise turn swivel into a door to the local network.
 * An endpoint on one of our own listen ports is refused even then: it would loop forever.
 */
import { ipv4NonRoutableReason, ipv4Number, nonRoutableReason } from '../protocol/ip.js';
import { ipv4Text } from '../provider/batch.js';
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
export function createAddressFilter(options: AddressFilterOptions): AddressFilter {
  // `host` is the text, or undefined for the IPv4 `address` (its text built only for a refusal).
  const decide = (reason: string | undefined, port: number, host: string | undefined, address: number): string | undefined => {
    if (reason === undefined) return undefined;
    // 0.0.0.0 and :: reach local listeners on Linux just like loopback does.
    if ((reason === 'loopback' || reason === 'unspecified') && options.ownPorts.includes(port)) {
      return `points at swivel's own listener (port ${port})`;
    }
    if (options.allowPrivate) return undefined;
    return `${reason} address ${host ?? ipv4Text(address)} (pass --allow-private-endpoints to accept)`;
  };
  const filter = (e: Pick<ParsedEndpoint, 'host' | 'port'>): string | undefined => {
    const v4 = ipv4Number(e.host);
    return decide(v4 >= 0 ? ipv4NonRoutableReason(v4) : nonRoutableReason(e.host), e.port, e.host, 0);
  };
  // Column entries (provider/batch.ts) are checked as the u32 they are; the host text is built
  // only for the warning about a refused one.
  filter.v4 = (address: number, port: number): string | undefined => {
    const reason = ipv4NonRoutableReason(address);
    return reason === undefined ? undefined : decide(reason, port, undefined, address);
  };
  return filter;
}

/** The ingest filter: by endpoint, and by number for IPv4 column entries (pool/ingest.ts). */
export interface AddressFilter {
  (e: Pick<ParsedEndpoint, 'host' | 'port'>): string | undefined;
  v4: (address: number, port: number) => string | undefined;
}
