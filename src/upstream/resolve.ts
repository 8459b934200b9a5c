/**
 * Endpoint host names are resolved once, by swivel, through an injectable resolver (tests never
 * query real DNS), and every address the name yields is checked against the same filter as IP
 * literals at ingest (pool/address-filter.ts). The address that passed is stored on the endpoint
 * and is what every later dial uses: no second lookup, so no DNS rebinding between check and use.
 * A name that yields a refused address (loopback, private, or one of swivel's own listeners)
 * fails with `endpoint_refused`, which ejects the endpoint at once, before any connection.
 */
import dns from 'node:dns';
import net from 'node:net';
import { SwivelError } from '../errors.js';
import type { Endpoint } from '../pool/endpoint.js';
import { errnoOf } from '../errno.js';
import type { Forwarder } from './http-forward.js';

/** Every address `host` resolves to. */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => {
  const answers = await dns.promises.lookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

/** Why `address:port` may not be dialled, or undefined when it may (the ingest filter's rule). */
export type AddressCheck = (address: string, port: number) => string | undefined;

export interface EndpointResolverOptions {
  resolve: Resolver;
  check: AddressCheck;
}

/** Resolves and checks endpoints' names on first use; shared by every dial (listeners and prober). */
export class EndpointResolver {
  private readonly pending = new WeakMap<Endpoint, Promise<void>>();

  constructor(private readonly options: EndpointResolverOptions) {}

  /** Fast path when the address is known (every dial after the first): no promise, no allocation. */
  ready(endpoint: Endpoint): boolean {
    if (endpoint.address !== undefined) return true;
    if (net.isIP(endpoint.host) !== 0) {
      endpoint.address = endpoint.host;
      return true;
    }
    return false;
  }

  /** Sets `endpoint.address` to a checked address, or rejects with a coded error. */
  ensure(endpoint: Endpoint): Promise<void> {
    let p = this.pending.get(endpoint);
    if (p === undefined) {
      p = this.lookup(endpoint);
      this.pending.set(endpoint, p);
      // A failed lookup may succeed later (a transient resolver failure); a refusal is remembered
      // by the endpoint being ejected, not here.
      p.catch(() => this.pending.delete(endpoint));
    }
    return p;
  }

  private async lookup(endpoint: Endpoint): Promise<void> {
    let addresses: string[];
    try {
      addresses = await this.options.resolve(endpoint.host);
    } catch (err) {
      throw new SwivelError('upstream_connect_failed', 'could not resolve the upstream proxy host name', {
        cause: err,
        details: { endpoint: endpoint.id, errno: errnoOf(err) },
      });
    }
    if (addresses.length === 0) {
      throw new SwivelError('upstream_connect_failed', 'the upstream proxy host name has no address', {
        details: { endpoint: endpoint.id },
      });
    }
    // Every address is checked, not just the one we would pick: a name that also points inside
    // the network is not one to trust.
    for (const address of addresses) {
      const reason = this.options.check(address, endpoint.port);
      if (reason !== undefined) {
        throw new SwivelError('endpoint_refused', `upstream proxy name resolves to a refused address: ${reason}`, {
          details: { endpoint: endpoint.id, reason },
        });
      }
    }
    endpoint.address = addresses[0]!;
  }
}

/** Wrap an opener-like function so the endpoint's address is resolved and checked first. */
export function resolvingFirst<A extends unknown[], T>(
  resolver: EndpointResolver,
  fn: (endpoint: Endpoint, ...rest: A) => Promise<T>,
): (endpoint: Endpoint, ...rest: A) => Promise<T> {
  return (endpoint, ...rest) => {
    if (resolver.ready(endpoint)) return fn(endpoint, ...rest);
    return resolver.ensure(endpoint).then(() => fn(endpoint, ...rest));
  };
}

/** The same for a plain-request forwarder, whose endpoint is its third argument. */
export function forwardingResolved(resolver: EndpointResolver, forward: Forwarder): Forwarder {
  return (req, url, endpoint, ctl) => {
    if (resolver.ready(endpoint)) return forward(req, url, endpoint, ctl);
    return resolver.ensure(endpoint).then(() => forward(req, url, endpoint, ctl));
  };
}
