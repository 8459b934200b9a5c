/**
 * node's own HTTP/1.1 parser (llhttp, what node:http runs; `require('_http_common').HTTPParser`),
 * typed for the one use the upstream engine makes of it: reading responses. Strict (no lenient
 * flag), so what it refuses is what RFC 9112 says to refuse: Transfer-Encoding with Content-Length,
 * differing or invalid Content-Lengths, invalid chunk sizes, obs-fold, bare LF, a NUL in a field,
 * a head over node's --max-http-header-size (16 KiB), a body cut short at EOF.
 *
 * Callbacks run with the parser as `this`; one set of module functions serves every parser, each
 * parser pointing at its connection, so nothing is allocated per connection or per response.
 * `kOnBody` is read by the native side at every body piece and, when it is not a function, the
 * piece is not copied out at all: that is how raw body bytes are framed without a copy.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Bytes parsed, or an Error with `code` (HPE_*) and `bytesParsed`. */
  execute(data: Buffer): number | ParseError;
  /** At EOF: completes a close-delimited body, or an Error when the message is unfinished. */
  finish(): number | ParseError | undefined;
  close(): void;
  [key: number]: unknown;
}

export interface ParseError extends Error {
  code: string;
  bytesParsed: number;
}

interface ParserModule {
  HTTPParser: {
    new (): NativeParser;
    RESPONSE: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kLenientNone: number;
  };
}

const { HTTPParser } = require('_http_common') as ParserModule;

export const kOnMessageBegin = HTTPParser.kOnMessageBegin | 0;
export const kOnHeaders = HTTPParser.kOnHeaders | 0;
export const kOnHeadersComplete = HTTPParser.kOnHeadersComplete | 0;
export const kOnBody = HTTPParser.kOnBody | 0;
export const kOnMessageComplete = HTTPParser.kOnMessageComplete | 0;

/** Returned from kOnHeadersComplete: the answer has no body (a HEAD request's). */
export const SKIP_BODY = 1;

const RESOURCE = {};

/** A strict response parser; its callbacks are set by the caller. */
export function responseParser(): NativeParser {
  const parser = new HTTPParser();
  // maxHeaderSize 0: node's --max-http-header-size, as node:http's own client uses.
  parser.initialize(HTTPParser.RESPONSE, RESOURCE, 0, HTTPParser.kLenientNone);
  return parser;
}

export function isParseError(ret: number | ParseError | undefined): ret is ParseError {
  return typeof ret === 'object';
}
