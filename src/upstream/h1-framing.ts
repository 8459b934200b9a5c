/**
 * How an upstream answer's body is framed (RFC 9112 §6.3), read from the head llhttp accepted,
 * and what that means for passing it on: raw bytes (Content-Length, close-delimited) or pieces
 * the parser decodes (any Transfer-Encoding). llhttp has already refused the conflicting and
 * invalid cases (both fields, differing or non-numeric lengths) by the time this result is used.
 */

export const NO_BODY = 0;
/** Content-Length: raw bytes, counted. */
export const LENGTH = 1;
/** Neither field: raw bytes until the upstream closes. */
export const UNTIL_CLOSE = 2;
/** Transfer-Encoding: pieces copied out by the parser, re-framed for the client. */
export const DECODED = 3;

export interface Framing {
  kind: number;
  /** Body bytes announced (LENGTH). */
  length: number;
  /** The upstream's `Keep-Alive: timeout=` less a second, in ms; Infinity without one. */
  hintMs: number;
}

export function framingOf(fields: readonly string[], status: number, isHead: boolean): Framing {
  let length = -1;
  let coded = false;
  let hintMs = Infinity;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(fields[i + 1]);
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') coded = true;
    else if (name.length === 10 && name.toLowerCase() === 'keep-alive') hintMs = keepAliveHintMs(fields[i + 1]!);
  }
  // RFC 9112 §6.3 (1): HEAD, 204 and 304 answers end at their head whatever they announce.
  if (isHead || status === 204 || status === 304) return { kind: NO_BODY, length: 0, hintMs };
  if (coded) return { kind: DECODED, length: 0, hintMs };
  if (length >= 0) return { kind: length === 0 ? NO_BODY : LENGTH, length, hintMs };
  return { kind: UNTIL_CLOSE, length: 0, hintMs };
}

/** `timeout=5, max=100` → 4000 ms: a second under the upstream's own timeout, as undici does. */
export function keepAliveHintMs(value: string): number {
  const at = value.toLowerCase().indexOf('timeout=');
  if (at === -1) return Infinity;
  const seconds = parseInt(value.slice(at + 8), 10);
  return Number.isFinite(seconds) ? seconds * 1000 - 1000 : Infinity;
}
