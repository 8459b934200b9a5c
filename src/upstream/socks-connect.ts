/**
 * Open a TCP tunnel through an upstream SOCKS5 proxy (RFC 1928), authenticating with RFC 1929
 * when the endpoint has credentials. Domain targets are sent as ATYP 3 so the upstream resolves
 * them: resolving locally would leak our DNS and pick addresses for the wrong country.
 */
import { SwivelError } from '../errors.js';
import type { Endpoint } from '../pool/endpoint.js';
import {
  Command,
  Method,
  decodeAuthReply,
  decodeMethodSelection,
  decodeReplyStatus,
  encodeAuthRequest,
  encodeGreeting,
  encodeRequest,
} from '../protocol/socks5.js';
import { MORE, type HandshakeOut, type HandshakeProtocol, type StepResult } from './handshake.js';

type Phase = 'method' | 'auth' | 'reply';

// The two greetings swivel ever sends, encoded once (a written Buffer is never modified).
const GREETING_NO_AUTH = encodeGreeting([Method.NO_AUTH]);
const GREETING_WITH_AUTH = encodeGreeting([Method.NO_AUTH, Method.USER_PASS]);

/** The SOCKS5 exchange, for either runner (handshake.ts on net.Socket, raw-handshake.ts on a handle). */
export function socksProtocol(endpoint: Endpoint, targetHost: string, targetPort: number): HandshakeProtocol {
  let phase: Phase = 'method';
  const details = { endpoint: endpoint.id } as const;
  const protocolError = (what: string): StepResult => ({
    kind: 'failed',
    error: new SwivelError('upstream_protocol', `upstream SOCKS5 proxy sent a malformed ${what}`, { details }),
  });
  const sendRequest = (socket: HandshakeOut): void => {
    phase = 'reply';
    socket.write(encodeRequest({ cmd: Command.CONNECT, host: targetHost, port: targetPort }));
  };

  return {
    maxReplyBytes: 1024,
    start(socket) {
      socket.write(endpoint.username === undefined ? GREETING_NO_AUTH : GREETING_WITH_AUTH);
    },
    step(received, socket): StepResult {
      if (phase === 'method') {
        const r = decodeMethodSelection(received);
        if (r.kind === 'incomplete') return MORE;
        if (r.kind === 'error') return protocolError('method selection');
        if (r.value.method === Method.USER_PASS && endpoint.username !== undefined) {
          phase = 'auth';
          socket.write(encodeAuthRequest(endpoint.username, endpoint.password ?? ''));
        } else if (r.value.method === Method.NO_AUTH) {
          sendRequest(socket);
        } else {
          return {
            kind: 'failed',
            error: new SwivelError('upstream_auth_failed', 'upstream SOCKS5 proxy accepted none of our methods', { details }),
          };
        }
        return { kind: 'next', consumed: r.consumed };
      }
      if (phase === 'auth') {
        const r = decodeAuthReply(received);
        if (r.kind === 'incomplete') return MORE;
        if (r.kind === 'error') return protocolError('authentication reply');
        if (!r.value.ok)
          return {
            kind: 'failed',
            error: new SwivelError('upstream_auth_failed', 'upstream SOCKS5 proxy refused our credentials', { details }),
          };
        sendRequest(socket);
        return { kind: 'next', consumed: r.consumed };
      }
      const r = decodeReplyStatus(received);
      if (r.kind === 'incomplete') return MORE;
      if (r.kind === 'error') return protocolError('reply');
      // RFC 1928 §6: 0x03 network, 0x04 host unreachable, 0x05 refused are about the target.
      const rep = r.value;
      if (rep === 0x03 || rep === 0x04 || rep === 0x05) {
        return {
          kind: 'failed',
          error: new SwivelError('target_unreachable', `target unreachable through the upstream (SOCKS5 reply ${rep})`, {
            details: { ...details, rep },
          }),
        };
      }
      if (rep !== 0) {
        return {
          kind: 'failed',
          error: new SwivelError('upstream_rejected', `upstream SOCKS5 proxy answered CONNECT with reply ${rep}`, {
            details: { ...details, rep },
          }),
        };
      }
      return { kind: 'established', consumed: r.consumed };
    },
  };
}
