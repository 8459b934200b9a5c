/**
 * The one place that reads system and undici error codes. Every socket failure is normalised here
 * to a coded SwivelError, so health, listeners and the provider client match on our codes only.
 *
 * Three families matter for blame (issue 8): local resource exhaustion (EMFILE/ENFILE: our fault,
 * never the endpoint's), a refused connect to the endpoint itself (strong evidence it is gone:
 * eject at once), and timeouts (the endpoint's own slowness).
 */
import { SwivelError } from './errors.js';

/** `code` of a system or undici error; Happy Eyeballs failures arrive as an AggregateError. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const inner = (err as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.length > 0 ? errnoOf(inner[0]) : undefined;
}

const TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ABORT_ERR_TIMEOUT']);
const LOCAL_EXHAUSTION = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

export function isTimeoutErrno(errno: string | undefined): boolean {
  return errno !== undefined && TIMEOUT.has(errno);
}

/** Out of file descriptors or buffers on this machine: nothing an endpoint did. */
export function isLocalExhaustion(errno: string | undefined): boolean {
  return errno !== undefined && LOCAL_EXHAUSTION.has(errno);
}

/** True for an error raised while the TCP connection to the endpoint was still being made. */
export function isConnectPhaseErrno(errno: string | undefined): boolean {
  return (
    errno === 'ECONNREFUSED' ||
    errno === 'UND_ERR_CONNECT_TIMEOUT' ||
    (errno !== undefined && (UNREACHABLE.has(errno) || LOCAL_EXHAUSTION.has(errno)))
  );
}

export type SocketPhase = 'connect' | 'handshake' | 'relay';

/** Normalise a system error from a socket to an endpoint to one of our codes. */
export function upstreamErrorFromSystem(err: unknown, phase: SocketPhase): SwivelError {
  const errno = errnoOf(err);
  const details = { errno };
  if (isLocalExhaustion(errno)) {
    return new SwivelError('overloaded', `swivel is out of local resources (${errno})`, { cause: err, details });
  }
  if (isTimeoutErrno(errno)) return new SwivelError('upstream_timeout', 'upstream proxy timed out', { cause: err, details });
  if (errno === 'ECONNREFUSED') {
    return new SwivelError('upstream_refused', 'upstream proxy refused the connection', { cause: err, details });
  }
  if (phase === 'connect' || (errno !== undefined && UNREACHABLE.has(errno))) {
    return new SwivelError('upstream_connect_failed', 'could not connect to upstream proxy', { cause: err, details });
  }
  return new SwivelError('upstream_reset', 'upstream proxy closed the connection', { cause: err, details });
}
