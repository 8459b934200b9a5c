/**
 * The common answer written straight to the client's socket, head and body in one write, instead
 * of through ServerResponse.writeHead()/end(): that path validates and re-matches every field,
 * builds the head a second time and schedules its own writes, about 4–7 µs per request on the
 * bench machine (bench/README.md). Only where it is exactly what node:http would have sent:
 *
 * - the answer is complete and small, framed by Content-Length or bodiless (so no chunking);
 * - the client's connection stays open (`res.shouldKeepAlive`, no Connection: close of ours) and
 *   this response is the socket's current one (no pipelined answer ahead of it);
 * - the fields came through llhttp in strict mode, which accepts exactly the characters
 *   node:http's writeHead would (tokens for names; HTAB, visible and obs-text in values).
 *
 * What node:http adds is added the same way: a Date when the upstream sent none, `Connection:
 * keep-alive` and `Keep-Alive: timeout=`. Then `res.end()` runs with the head marked as sent, so
 * node:http's own bookkeeping (finish, the next request on the connection, keep-alive timer,
 * pipelining) is unchanged. Anything else goes through ServerResponse as before.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type net from 'node:net';

/** node:http's fields of a ServerResponse this relies on (Node 20). */
interface NodeResponse extends ServerResponse {
  _header: string | null;
  _headerSent: boolean;
  _keepAliveTimeout: number | undefined;
}

type NodeSocket = net.Socket & { _httpMessage?: unknown };

export function canWriteDirect(res: ServerResponse): boolean {
  const socket = res.socket as NodeSocket | null;
  return socket !== null && socket._httpMessage === res && res.shouldKeepAlive && !res.headersSent && !socket.destroyed;
}

let dateSecond = 0;
let dateField = '';

/** `Date:` as node:http writes it (IMF-fixdate), rebuilt once a second. */
function date(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateField = `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
  }
  return dateField;
}

/** Write status, `fields` (already free of hop-by-hop ones) and `body` in one write, then end `res`. */
export function writeDirect(res: ServerResponse, status: number, fields: readonly string[], body: Buffer | undefined): void {
  const r = res as NodeResponse;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
  let dated = false;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.length === 4 && name.toLowerCase() === 'date') dated = true;
    head += `${name}: ${fields[i + 1]}\r\n`;
  }
  if (!dated) head += date();
  const keepAliveMs = r._keepAliveTimeout;
  head += keepAliveMs
    ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`
    : 'Connection: keep-alive\r\n\r\n';
  // latin1 both: header bytes and body bytes go out unchanged.
  res.socket!.write(body === undefined || body.length === 0 ? head : head + body.toString('latin1'), 'latin1');
  r.statusCode = status;
  r._header = head;
  r._headerSent = true;
  res.end();
}
