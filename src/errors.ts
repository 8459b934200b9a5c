/**
 * Coded errors. Callers and tests match on `err.code`, never on the message text
 * (proxy-chain matching '407 Proxy Authentication Required' by string is the counter-example).
 *
 * One table (ERRORS) gives every code its meaning at each edge: the HTTP status a proxy client
 * sees, the SOCKS5 reply byte (RFC 1928 §6), and whether the failure says something about the
 * upstream endpoint (so the health layer can count it) or about the caller.
 */

/** RFC 1928 §6 reply field values. */
export const SocksReply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;
export type SocksReplyCode = (typeof SocksReply)[keyof typeof SocksReply];

interface ErrorSpec {
  /** Status of the answer swivel itself makes to a proxy client. */
  readonly status: number;
  /** Reply byte for a SOCKS5 client. */
  readonly socks: SocksReplyCode;
  /** True when the failure is evidence against the upstream endpoint (passive health). */
  readonly blamesEndpoint: boolean;
}

export const ERRORS = {
  // Configuration and user input, caught at the edge.
  config_invalid: { status: 500, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  // Provider API.
  provider_auth: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  provider_unverified: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  provider_error: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  // The account API refused a request with its own message: the user must change something (exit 2).
  provider_refused: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  provider_http: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  provider_timeout: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  provider_unreachable: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  provider_malformed: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  provider_empty: { status: 503, socks: SocksReply.NETWORK_UNREACHABLE, blamesEndpoint: false },
  // Pool.
  pool_empty: { status: 503, socks: SocksReply.NETWORK_UNREACHABLE, blamesEndpoint: false },
  // Client request.
  bad_request: { status: 400, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  bad_selector: { status: 400, socks: SocksReply.NOT_ALLOWED, blamesEndpoint: false },
  client_closed: { status: 400, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  proxy_auth_required: { status: 407, socks: SocksReply.NOT_ALLOWED, blamesEndpoint: false },
  // Upstream endpoint.
  upstream_connect_failed: { status: 502, socks: SocksReply.HOST_UNREACHABLE, blamesEndpoint: true },
  upstream_timeout: { status: 504, socks: SocksReply.TTL_EXPIRED, blamesEndpoint: true },
  upstream_auth_failed: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: true },
  upstream_rejected: { status: 502, socks: SocksReply.HOST_UNREACHABLE, blamesEndpoint: true },
  upstream_reset: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: true },
  upstream_protocol: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: true },
  session_lost: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
  internal: { status: 500, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class SwivelError extends Error {
  override readonly name = 'SwivelError';
  readonly code: ErrorCode;
  /** Free-form, secret-free details for logs (never shown to proxy clients). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get socksReply(): SocksReplyCode {
    return ERRORS[this.code].socks;
  }
}

export function isSwivelError(err: unknown, code?: ErrorCode): err is SwivelError {
  return err instanceof SwivelError && (code === undefined || err.code === code);
}

/**
 * Normalise a system error from a socket to one of our upstream codes. Done once, here, so no other
 * module looks at errno strings.
 */
export function upstreamErrorFromSystem(err: unknown, phase: 'connect' | 'handshake' | 'relay'): SwivelError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ETIMEDOUT' || errno === 'UND_ERR_CONNECT_TIMEOUT' || errno === 'UND_ERR_HEADERS_TIMEOUT') {
    return new SwivelError('upstream_timeout', 'upstream proxy timed out', { cause: err });
  }
  if (
    phase === 'connect' ||
    errno === 'ECONNREFUSED' ||
    errno === 'EHOSTUNREACH' ||
    errno === 'ENETUNREACH' ||
    errno === 'ENOTFOUND' ||
    errno === 'EAI_AGAIN'
  ) {
    return new SwivelError('upstream_connect_failed', 'could not connect to upstream proxy', { cause: err, details: { errno } });
  }
  return new SwivelError('upstream_reset', 'upstream proxy closed the connection', { cause: err, details: { errno } });
}
