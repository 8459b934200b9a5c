/**
 * The listener's own answers (refusals and failures), written raw to the client socket whatever
 * state node:http's response is in, then the connection is closed: one line of text, the coded
 * X-Swivel-Error and X-Swivel-Attempts headers, Connection: close. The same bytes proxy-chain's
 * sendSocketResponse wrote, so clients and tests see no difference.
 */
import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import type { SwivelError } from '../errors.js';

export const REALM = 'swivel';

export interface RawAnswer {
  status: number;
  /** The error code for X-Swivel-Error. */
  code: string;
  attempts: number;
  message: string;
}

/** The answer for a coded failure. */
export function answerFor(error: SwivelError, attempts: number): RawAnswer {
  return { status: error.status, code: error.code, attempts, message: `${withoutUrls(error.message)}\n` };
}

/** A client learns why, never where: the provider's URL (even redacted) stays in swivel's log. */
export function withoutUrls(message: string): string {
  return message.replace(/\bhttps?:\/\/[^\s]*[^\s.,;)]/gi, 'the provider API');
}

/**
 * Write `answer` and half-close (FIN: the client may still be sending); a client that does not
 * close its side within a second is cut.
 */
export function sendRawAnswer(socket: net.Socket, answer: RawAnswer): void {
  const body = answer.message;
  let head =
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Unknown Status Code'}\r\n` +
    `x-swivel-error: ${answer.code}\r\nx-swivel-attempts: ${answer.attempts}\r\n`;
  if (answer.status === 407) head += `proxy-authenticate: Basic realm="${REALM}"\r\n`;
  head +=
    `connection: close\r\ndate: ${new Date().toUTCString()}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `server: ${REALM}\r\ncontent-type: text/plain; charset=utf-8\r\n\r\n`;
  // Node cannot send a RST (nodejs/node#27428): FIN now, destroy if the client lingers.
  socket.setTimeout(1000, () => socket.destroy());
  socket.end(head + body);
}
