/** Payload types of the provider's extraction API (`GET {api-base}/ip/v3`). */
import type { EndpointBatch } from './batch.js';

/** Query of one extraction. Names are the API's own parameter names. */
export interface ExtractQuery {
  /** Country or region code, lower case (`de`, `us`). */
  cc?: string;
  /** State or province. */
  state?: string;
  city?: string;
  /** How many endpoints to extract. */
  num: number;
  /** How long the provider keeps an endpoint, in minutes. */
  life?: number;
  /** Endpoint network: `us`, `hk` or `de`. */
  ep?: string;
  /** Answer format; omitted means the provider's JSON default. */
  format?: string;
  /** Separator for text formats. */
  lb?: string;
}

/** One upstream endpoint as the provider listed it. */
export interface ParsedEndpoint {
  /** Host name or IP address; IPv6 without brackets. */
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export interface ParseResult {
  /**
   * The entries as objects. On a parser's result this is built on first read from `batch` (and
   * `batch` is then gone): the refresher reads the columns and never builds these objects.
   */
  endpoints: ParsedEndpoint[];
  /** The same entries in columns (provider/batch.ts), as long as `endpoints` was not read. */
  batch?: EndpointBatch | undefined;
  /** Entries that were skipped because they did not parse. */
  malformed: number;
  /** The first malformed entry, truncated to 64 characters, for one warning per extraction. */
  firstMalformed?: string;
  /**
   * ms since epoch when these endpoints stop being usable, when the source knows better than
   * "now + lifetime": a batch another replica extracted earlier (cluster/shared-source.ts).
   */
  expiresAt?: number;
  /** Another replica paid for this batch: not an API call of ours (stats, metrics). */
  shared?: boolean;
}

/** What the pool needs from a provider: one extraction at a time. */
export interface EndpointSource {
  /** A short, secret-free name for logs (`api http://127.0.0.1:9000/gateway`, `file proxies.txt`). */
  readonly name: string;
  extract(query: ExtractQuery, signal?: AbortSignal): Promise<ParseResult>;
}
