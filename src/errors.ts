/**
 * Coded errors. Callers and tests match on `err.code`, never on the message text
 * (proxy-chain matching '407 Proxy Authentication Required' by string is the counter-example).
 *
 * One table (ERRORS) gives every code its meaning at each edge: the HTTP status a proxy client
 * sees, the SOCKS5 reply byte (RFC 1928 §6), whether the failure says something about the
 * upstream endpoint (so the health layer can count it) or about the caller, the process exit code
 * a command ends with, and whether it ends start-up (no point listening with a rejected key).
 *
 * Errors are recognised by a branded `Symbol.for` key (undici's `kUndiciError` pattern), not by
 * prototype identity, so two copies of this module (a bundled and an installed swivel) agree.
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
  /** Process exit code: 2 the user must fix something, 3 something is unavailable, 1 a bug. */
  readonly exit: 1 | 2 | 3;
  /** True when `serve` must not start at all after this failure on its first extraction. */
  readonly fatalAtStart: boolean;
  /**
   * Evidence that might be the target's fault as much as the endpoint's: only such failures are held
   * by the "never eject more than half a sub-pool" cap. Timeouts and refusals are the endpoint's own.
   */
  readonly ambiguous?: boolean;
}

export const ERRORS = {
  // Configuration and user input, caught at the edge.
  config_invalid: { status: 500, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 2, fatalAtStart: true },
  /** A listener's port is taken: unavailable (exit 3), not a bad value. */
  port_in_use: { status: 500, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  // Provider API.
  provider_auth: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 2, fatalAtStart: true },
  provider_unverified: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 2, fatalAtStart: true },
  provider_error: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  // The account API refused a request with its own message: the user must change something (exit 2).
  provider_refused: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 2, fatalAtStart: false },
  provider_http: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  provider_timeout: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  provider_unreachable: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  provider_malformed: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  provider_empty: { status: 503, socks: SocksReply.NETWORK_UNREACHABLE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  /** `--api-rate` calls this minute are spent (across the fleet with --redis-url): no call was made. */
  provider_budget: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  // Pool.
  pool_empty: { status: 503, socks: SocksReply.NETWORK_UNREACHABLE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  // Client request.
  bad_request: { status: 400, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 2, fatalAtStart: false },
  bad_selector: { status: 400, socks: SocksReply.NOT_ALLOWED, blamesEndpoint: false, exit: 2, fatalAtStart: false },
  client_closed: { status: 400, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  proxy_auth_required: { status: 407, socks: SocksReply.NOT_ALLOWED, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  request_header_too_large: { status: 431, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  uri_too_long: { status: 414, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  bad_target: { status: 400, socks: SocksReply.NOT_ALLOWED, blamesEndpoint: false, exit: 2, fatalAtStart: false },
  header_timeout: { status: 408, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  target_denied: { status: 403, socks: SocksReply.NOT_ALLOWED, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  // Local resources (fds, buffers): swivel's own fault, never an endpoint's.
  overloaded: { status: 503, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  // The target, reached through a working endpoint, does not exist, refused or timed out.
  target_unreachable: { status: 502, socks: SocksReply.HOST_UNREACHABLE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  // An endpoint's host name resolved to an address swivel refuses to dial.
  endpoint_refused: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: true, exit: 3, fatalAtStart: false },
  // Upstream endpoint.
  upstream_connect_failed: { status: 502, socks: SocksReply.HOST_UNREACHABLE, blamesEndpoint: true, exit: 3, fatalAtStart: false },
  upstream_refused: { status: 502, socks: SocksReply.HOST_UNREACHABLE, blamesEndpoint: true, exit: 3, fatalAtStart: false },
  upstream_timeout: { status: 504, socks: SocksReply.TTL_EXPIRED, blamesEndpoint: true, exit: 3, fatalAtStart: false },
  upstream_auth_failed: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: true, exit: 3, fatalAtStart: false },
  upstream_rejected: {
    status: 502,
    socks: SocksReply.HOST_UNREACHABLE,
    blamesEndpoint: true,
    ambiguous: true,
    exit: 3,
    fatalAtStart: false,
  },
  upstream_reset: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: true, ambiguous: true, exit: 3, fatalAtStart: false },
  upstream_protocol: {
    status: 502,
    socks: SocksReply.GENERAL_FAILURE,
    blamesEndpoint: true,
    ambiguous: true,
    exit: 3,
    fatalAtStart: false,
  },
  session_lost: { status: 502, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 3, fatalAtStart: false },
  internal: { status: 500, socks: SocksReply.GENERAL_FAILURE, blamesEndpoint: false, exit: 1, fatalAtStart: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The table row of `code`, typed as the full spec (optional columns included). */
export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERRORS[code];
}

const kSwivelError = Symbol.for('swivel.error');

export class SwivelError extends Error {
  override readonly name = 'SwivelError';
  readonly [kSwivelError] = true;
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

  /** `instanceof` by brand, so errors from another copy of this module still match. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [kSwivelError]?: unknown })[kSwivelError] === true;
  }
}

export function isSwivelError(err: unknown, code?: ErrorCode): err is SwivelError {
  if (typeof err !== 'object' || err === null || (err as { [kSwivelError]?: unknown })[kSwivelError] !== true) return false;
  return code === undefined || (err as SwivelError).code === code;
}
