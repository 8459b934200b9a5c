/**
 * Open a TCP tunnel to a target through an upstream HTTP proxy with CONNECT (RFC 9110 §9.3.6).
 * A 2xx reply establishes it; 407/401 is our credentials' fault (upstream_auth_failed); any other
 * 502/503/504 is a gateway telling us the target could not be reached (no such host, refused port,
 * target timeout): the target's fault, not the endpoint's (target_unreachable). Any other status
 * is the upstream refusing (upstream_rejected, status kept in details).
 */
import { SwivelError } from '../errors.js';
import { upstreamAuthorization, type Endpoint } from '../pool/endpoint.js';
import { MORE, type HandshakeProtocol, type StepResult } from './handshake.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** `host:port` for a request line, bracketing IPv6 literals (RFC 9112 §3.2.3 authority-form). */
export function authority(host: string, port: number): string {
  return host.indexOf(':') === -1 ? `${host}:${port}` : `[${host}]:${port}`;
}

/** Status code from `HTTP/1.1 200 Connection established`, or -1 when it is not a status line. */
export function parseStatusLine(line: string): number {
  // RFC 9112 §4: status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]
  if (!line.startsWith('HTTP/1.')) return -1;
  const sp = line.indexOf(' ');
  if (sp === -1 || (line.length > sp + 4 && line.charCodeAt(sp + 4) !== 32)) return -1;
  let code = 0;
  for (let i = sp + 1; i < sp + 4; i++) {
    const c = line.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    code = code * 10 + c;
  }
  return code >= 100 ? code : -1;
}

const HTTP_1 = Buffer.from('HTTP/1.');

/** parseStatusLine over the bytes of a reply, without building the line as a string. */
function statusOf(buf: Buffer, lineEnd: number): number {
  if (lineEnd < 12 || buf.compare(HTTP_1, 0, HTTP_1.length, 0, HTTP_1.length) !== 0) {
    return lineEnd < 0 ? -1 : parseStatusLine(buf.toString('latin1', 0, lineEnd));
  }
  // `HTTP/1.x SP 3DIGIT` and then SP or the end of the line.
  if (buf[8] !== 32 || (lineEnd > 12 && buf[12] !== 32)) return parseStatusLine(buf.toString('latin1', 0, lineEnd));
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const c = buf[i]! - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    code = code * 10 + c;
  }
  return code >= 100 ? code : -1;
}

/** Judge a complete CONNECT reply head; exported for unit tests. */
export function connectReplyStep(received: Buffer, endpointId: string): StepResult {
  const end = received.indexOf(CRLFCRLF);
  if (end === -1) return MORE;
  const lineEnd = received.indexOf(CRLF);
  const status = statusOf(received, lineEnd);
  if (status >= 200 && status < 300) return { kind: 'established', consumed: end + 4 };
  const details = { endpoint: endpointId, status };
  if (status === -1)
    return { kind: 'failed', error: new SwivelError('upstream_protocol', 'upstream proxy sent a malformed CONNECT reply', { details }) };
  if (status === 407 || status === 401) {
    return {
      kind: 'failed',
      error: new SwivelError('upstream_auth_failed', `upstream proxy refused our credentials (${status})`, { details }),
    };
  }
  if (status === 502 || status === 503 || status === 504) {
    const reason = received.toString('latin1', 0, lineEnd).slice(13).trim();
    return {
      kind: 'failed',
      error: new SwivelError('target_unreachable', `target unreachable through the upstream (${status}${reason ? ` ${reason}` : ''})`, {
        details,
      }),
    };
  }
  return { kind: 'failed', error: new SwivelError('upstream_rejected', `upstream proxy answered CONNECT with ${status}`, { details }) };
}

/** The CONNECT exchange, for either runner (handshake.ts on net.Socket, raw-handshake.ts on a handle). */
export function httpConnectProtocol(endpoint: Endpoint, targetHost: string, targetPort: number): HandshakeProtocol {
  return {
    maxReplyBytes: 16 * 1024,
    start(out) {
      const target = authority(targetHost, targetPort);
      const auth = upstreamAuthorization(endpoint);
      out.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth === undefined ? '' : `Proxy-Authorization: ${auth}\r\n`}\r\n`);
    },
    step: (received) => connectReplyStep(received, endpoint.id),
  };
}
