/** Payload types of the provider's extraction API (`GET {api-base}/ip/v3`). */

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
  endpoints: ParsedEndpoint[];
  /** Entries that were skipped because they did not parse. */
  malformed: number;
  /** The first malformed entry, truncated to 64 characters, for one warning per extraction. */
  firstMalformed?: string;
  /**
   * ms since epoch when these endpoints stop being usable, when the source knows better than
   * "now + lifetime": a batch another replica extracted earlier (cluster/shared-source.ts).
   */
  expiresAt?: number;
}

/** What the pool needs from a provider: one extraction at a time. */
export interface EndpointSource {
  /** A short, secret-free name for logs (`api http://127.0.0.1:9000/gateway`, `file proxies.txt`). */
  readonly name: string;
  extract(query: ExtractQuery, signal?: AbortSignal): Promise<ParseResult>;
}
