/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) belong to one connection and are not forwarded, nor are
 * fields the Connection header names. Proxy-Authorization is ours (it carried the selection and
 * the swivel password), so it never leaves towards the target either.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // undici refuses `expect`; node:http has already answered 100-continue to the client.
  'expect',
]);

/** Names listed in a Connection header value, lower-cased. */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value === '') return undefined;
  // What nearly every client sends names only hop-by-hop fields already dropped: no Set to build.
  const plain = value.toLowerCase();
  if (plain === 'keep-alive' || plain === 'close') return undefined;
  const out = new Set<string>();
  let pos = 0;
  while (pos <= value.length) {
    let end = value.indexOf(',', pos);
    if (end === -1) end = value.length;
    const token = value.slice(pos, end).trim().toLowerCase();
    if (token !== '') out.add(token);
    pos = end + 1;
  }
  return out;
}

/** Flat [name, value, ...] of the request headers worth forwarding, from node's rawHeaders. */
export function forwardRequestHeaders(rawHeaders: readonly string[], connection: string | undefined): string[] {
  const named = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower) === true) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * The same fields as forwardRequestHeaders, as the `name: value\r\n` lines of a request head:
 * one string built in one pass (the plain-HTTP forwarder writes its head in one write).
 */
export function requestFieldLines(rawHeaders: readonly string[], connection: string | undefined): string {
  const named = connectionTokens(connection);
  let out = '';
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower) === true) continue;
    out += `${name}: ${rawHeaders[i + 1]!}\r\n`;
  }
  return out;
}

/** Response headers from undici (lower-case keys) minus hop-by-hop ones, in place. */
export function stripResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const connection = headers.connection;
  const named = connectionTokens(Array.isArray(connection) ? connection.join(',') : connection);
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name) || named?.has(name) === true) delete headers[name];
  }
  return headers;
}

/**
 * Upstream response headers as undici's parser hands them to a raw handler (`[name, value, ...]`
 * Buffers), minus hop-by-hop ones and those the Connection header names, as the flat string list
 * node:http's writeHead takes. Names keep the upstream's case and duplicates (Set-Cookie) their
 * order. Latin-1, as undici decodes them too: header bytes pass through unchanged.
 */
export function forwardResponseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      const value = raw[i + 1]!.toString('latin1');
      connection = connection === undefined ? value : `${connection},${value}`;
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  // Rare: a Connection header naming end-to-end-looking fields; drop those in a second pass.
  return connection === undefined ? out : withoutConnectionNamed(out, connection);
}

/**
 * The same for the `[name, value, ...]` strings node's parser hands out (latin1: header bytes
 * pass through unchanged), as the flat list node:http's writeHead takes.
 */
export function forwardResponseFields(fields: readonly string[]): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      const value = fields[i + 1]!;
      connection = connection === undefined ? value : `${connection},${value}`;
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(name, fields[i + 1]!);
  }
  return connection === undefined ? out : withoutConnectionNamed(out, connection);
}

/** `fields` without those the Connection header value names (RFC 9110 §7.6.1). */
function withoutConnectionNamed(fields: string[], connection: string): string[] {
  const named = connectionTokens(connection);
  if (named === undefined) return fields;
  const kept: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    if (!named.has(fields[i]!.toLowerCase())) kept.push(fields[i]!, fields[i + 1]!);
  }
  return kept;
}
