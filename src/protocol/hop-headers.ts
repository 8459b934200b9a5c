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
