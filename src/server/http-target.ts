/**
 * Where a client asked to go: the host and port of an absolute-form (`GET http://host:port/…`)
 * or authority-form (`CONNECT host:port`) request-target, RFC 9112 §3.2. Hosts come out bare
 * (`::1`, not `[::1]`) and canonical as the WHATWG URL parser makes them (`http://0x7f.1/` is
 * 127.0.0.1), so the target policy sees what will be dialled.
 */
import { SwivelError } from '../errors.js';

export interface Target {
  host: string;
  port: number;
}

/** `[::1]` → `::1`: URL keeps brackets on IPv6 hostnames, sockets want them bare. */
function bareHost(hostname: string): string {
  return hostname.charCodeAt(0) === 91 ? hostname.slice(1, -1) : hostname;
}

function unparsable(raw: string): SwivelError {
  return new SwivelError('bad_request', `target "${raw}" could not be parsed`);
}

export function parsePlainTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw unparsable(raw);
  }
  // Anything but http:// must come through CONNECT (https://) or is not ours to forward.
  if (url.protocol !== 'http:') throw new SwivelError('bad_request', `only http:// is forwarded (was ${url.protocol})`);
  return { host: bareHost(url.hostname), port: url.port === '' ? 80 : Number(url.port) };
}

export function parseConnectTarget(raw: string): Target {
  let url: URL;
  try {
    // A scheme of our own makes URL read `host:port` as an authority without a special scheme's
    // rewriting; the port must be there (RFC 9110 §9.3.6).
    url = new URL(`connect://${raw}`);
  } catch {
    throw unparsable(raw);
  }
  if (url.hostname === '' || url.port === '') throw unparsable(raw);
  return { host: bareHost(url.hostname), port: Number(url.port) };
}
