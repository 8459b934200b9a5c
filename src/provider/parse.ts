/**
 * The extraction answer → endpoints. Pure and synchronous; the hot path of every refresh, so it walks
 * strings with indexOf/charCodeAt and lists with indexed loops (see bench/parse.bench.mjs).
 *
 * The documented answer (BestProxy OpenAPI, `GET /gateway/ip/v3`) is a JSON envelope whose
 * `data.list` is a list of lists of `"ip:port"` strings. With a text `format` the body is one entry
 * per line (or per `lb` separator); some brands still answer errors in JSON then, so a body that
 * starts with `{` is read as JSON whatever the content type says.
 */
import { SwivelError } from '../errors.js';
import { describeEntry, describeValue, isDigits } from './describe.js';
import { isIpv6Like } from '../protocol/ip.js';
import { EndpointBatch, ipv4PortKey } from './batch.js';
import { isHostName, parseEndpointEntry, parseEndpointRange, parsePort } from './entry.js';
import { checkEnvelope } from './envelope.js';
import type { ParsedEndpoint, ParseResult } from './types.js';

export { parseEndpointEntry } from './entry.js';

const HASH = 35;
const LBRACE = 123;
const LT = 60;
const BOM = 0xfeff;

/**
 * A result that collects entries in columns (`batch`, provider/batch.ts; `capacity` its expected
 * size). `endpoints` is an accessor: the first read builds the objects from the columns and drops
 * `batch`, so a reader of objects and a reader of columns never see two copies that could drift apart.
 */
export function emptyParseResult(capacity?: number): ParseResult {
  const result = { malformed: 0 } as ParseResult;
  let list: ParsedEndpoint[] | undefined;
  Object.defineProperty(result, 'batch', { value: new EndpointBatch(capacity), writable: true, enumerable: false, configurable: true });
  Object.defineProperty(result, 'endpoints', {
    enumerable: true,
    configurable: true,
    get(): ParsedEndpoint[] {
      if (list === undefined) {
        list = result.batch?.toArray() ?? [];
        result.batch = undefined;
      }
      return list;
    },
    set(value: ParsedEndpoint[]) {
      list = value;
      result.batch = undefined;
    },
  });
  return result;
}

/** How many entries a result holds, without building objects from its columns. */
export function endpointCount(result: ParseResult): number {
  return result.batch !== undefined ? result.batch.length : result.endpoints.length;
}

function pushEndpoint(result: ParseResult, endpoint: ParsedEndpoint): void {
  const batch = result.batch;
  if (batch !== undefined) batch.push(endpoint);
  else result.endpoints.push(endpoint);
}

export function parseExtractionBody(body: string, contentType: string | undefined, lb?: string): ParseResult {
  const scan = ListScan.of(body, contentType);
  if (scan !== undefined && scan.run(Infinity) === DONE && scan.finish()) return scan.result;
  const result = emptyParseResult();
  const answer = classifyBody(body, contentType);
  if (answer.list !== undefined) parseJsonList(answer.list, result);
  else parseTextBody(answer.text, lb, result);
  return result;
}

/** Entries parsed between two yields of parseExtractionBodyInSlices (a few ms of work). */
export const PARSE_SLICE_ENTRIES = 8_192;
/** Time budget of one parse slice, checked every CHECK_EVERY entries. */
const SLICE_MS = 4;
const CHECK_EVERY = 1_024;
/** Bodies from this size (about 3 000 entries) get a turn of their own for JSON.parse. */
const LARGE_BODY_CHARS = 64 * 1024;

export interface ParseSliceOptions {
  /** Entries per slice; PARSE_SLICE_ENTRIES by default. */
  sliceEntries?: number;
  /** How to give the event loop a turn; setImmediate by default. */
  yieldToLoop?: () => Promise<void>;
}

/**
 * parseExtractionBody, yielding to the event loop every `sliceEntries` entries: a 100 000-entry
 * answer then blocks it only for its JSON.parse and one slice at a time, not for the whole walk.
 * Same result, same errors.
 */
export async function parseExtractionBodyInSlices(
  body: string,
  contentType: string | undefined,
  lb?: string,
  options: ParseSliceOptions = {},
): Promise<ParseResult> {
  const slice = Math.max(1, options.sliceEntries ?? PARSE_SLICE_ENTRIES);
  const pause = options.yieldToLoop ?? yieldToLoop;
  const result = emptyParseResult();
  // A large body arrives in the turn that read it off the socket (and decoded it): JSON.parse of
  // it gets a turn of its own (issue 12: both in one turn did not stay under 20 ms cold).
  if (body.length >= LARGE_BODY_CHARS) await pause();
  const scan = ListScan.of(body, contentType);
  if (scan !== undefined) {
    // The documented shape read straight off the body, in slices (no JSON.parse turn of the whole
    // answer); anything else, or anything odd, goes the JSON.parse way below.
    let state = scan.run(slice);
    while (state === MORE) {
      await pause();
      state = scan.run(slice);
    }
    if (state === DONE && scan.finish()) return scan.result;
  }
  const answer = classifyBody(body, contentType);
  if (answer.list !== undefined) {
    const list = answer.list;
    // Count-bounded (`slice` entries) and time-bounded (SLICE_MS, read every CHECK_EVERY
    // entries): the first refresh runs code not yet optimised, where a count alone ran long.
    const check = Math.min(slice, CHECK_EVERY);
    let budget = check;
    let sinceYield = 0;
    let started = performance.now();
    const step = async (): Promise<void> => {
      sinceYield += check;
      budget = check;
      if (sinceYield >= slice || performance.now() - started >= SLICE_MS) {
        await pause();
        sinceYield = 0;
        started = performance.now();
      }
    };
    const batch = result.batch;
    for (let i = 0; i < list.length; i++) {
      const item: unknown = list[i];
      if (!Array.isArray(item)) {
        parseJsonEntry(item, result, batch);
        if (--budget === 0) await step();
        continue;
      }
      for (let j = 0; j < item.length; j++) {
        parseJsonEntry(item[j], result, batch);
        if (--budget === 0) await step();
      }
      // Let go of what is read: the tree JSON.parse built is young, and a scavenge between two
      // slices copies whatever of it is still reachable (at 100 000 entries, 10-25 ms when all).
      list[i] = undefined;
    }
    return result;
  }
  // Text: cut the body at a separator about every `slice` lines' worth of characters.
  const text = answer.text;
  const sep = textSeparator(lb);
  const chunkChars = slice * 24;
  let pos = 0;
  while (pos < text.length) {
    let cut = text.length;
    if (text.length - pos > chunkChars) {
      const from = pos + chunkChars;
      const lf = text.indexOf('\n', from);
      const other = sep === undefined ? -1 : text.indexOf(sep, from);
      if (lf !== -1 && (other === -1 || lf < other)) cut = lf + 1;
      else if (other !== -1) cut = other + (sep as string).length;
    }
    parseTextBody(pos === 0 && cut === text.length ? text : text.slice(pos, cut), lb, result);
    pos = cut;
    if (pos < text.length) await pause();
  }
  return result;
}

/** The fewest characters a canonical IPv4 entry takes in a JSON list, with its separator. */
const MIN_ENTRY_CHARS = 12;

const DONE = 1;
const MORE = 0;
const FAILED = -1;

/** Stands in for the list while the envelope is parsed without it (a nonce: no answer holds it). */
const LIST_SENTINEL = `swivel-list-${Math.random().toString(36).slice(2)}-${Date.now()}`;

/**
 * The documented answer's `data.list` read straight off the body (issue 12): JSON.parse of a
 * 100 000-entry answer builds 100 000 strings and 10 000 arrays only for the walk to read each once,
 * and cold (the first refresh) it is one 20-30 ms turn, in a young generation too small for it.
 * Here the list is scanned in place: a canonical `d.d.d.d:port` entry goes from the body text
 * into the batch columns, any other string entry through the entry parser as a string, and the
 * scan can stop and resume anywhere, so the sliced parse yields inside it. The grammar taken is
 * strict JSON and narrow: a list of strings and of lists of strings, strings without escapes or
 * control characters. Anything else FAILS the scan, and the caller parses the body the JSON.parse
 * way, so every answer outside that shape, valid or not, gets exactly the old result or error.
 * The rest of the body (the envelope) goes through JSON.parse and checkEnvelope with the list
 * replaced by a sentinel, which must come back as `data.list`: that proves the list scanned is
 * the one JSON.parse would have read (not a "list" key elsewhere, not a duplicate key).
 */
class ListScan {
  readonly result: ParseResult;
  private readonly batch: EndpointBatch | undefined;
  private pos: number;
  private inner = false;
  private first = true;
  private end = -1;

  private constructor(
    private readonly text: string,
    private readonly type: string,
    private readonly listStart: number,
  ) {
    this.pos = listStart + 1;
    // The columns sized once: a canonical entry and its comma take at least 12 characters
    // (`"1.1.1.1:1",`), so this bounds the common entries; anything else may still grow them.
    this.result = emptyParseResult((text.length - listStart) / MIN_ENTRY_CHARS);
    this.batch = this.result.batch;
  }

  /** A scan of the body's list, or undefined when the body is not a JSON answer with a `"list": [`. */
  static of(body: string, contentType: string | undefined): ListScan | undefined {
    const first = firstSignificant(body);
    const type = contentType === undefined ? '' : contentType.toLowerCase();
    if (body.charCodeAt(first) !== LBRACE) return undefined;
    const text = first === 0 ? body : body.slice(first);
    const key = text.indexOf('"list"');
    if (key < 0) return undefined;
    let i = skipSpace(text, key + 6);
    if (text.charCodeAt(i) !== 58 /* : */) return undefined;
    i = skipSpace(text, i + 1);
    if (text.charCodeAt(i) !== 91 /* [ */) return undefined;
    return new ListScan(text, type, i);
  }

  /** Scan up to `max` more entries: DONE at the list's end, MORE, or FAILED (not the narrow shape). */
  run(max: number): number {
    const s = this.text;
    const batch = this.batch;
    let pos = this.pos;
    let n = 0;
    for (;;) {
      pos = skipSpace(s, pos);
      let c = s.charCodeAt(pos);
      if (c === 93 /* ] */) {
        pos++;
        if (this.inner) {
          this.inner = false;
          this.first = false;
          continue;
        }
        this.end = pos;
        return DONE;
      }
      if (!this.first) {
        if (c !== 44 /* , */) return FAILED;
        pos = skipSpace(s, pos + 1);
        c = s.charCodeAt(pos);
      }
      if (c === 91 /* [ */) {
        if (this.inner) return FAILED;
        this.inner = true;
        this.first = true;
        pos++;
        continue;
      }
      if (c !== 34 /* " */) return FAILED;
      const start = pos + 1;
      // The common entry is read up to its closing quote in one pass (its digits, dots and colon
      // need no check); any other is found by indexOf and checked before the entry parser sees it.
      let i = batch !== undefined ? batch.pushQuotedV4(s, start) : -1;
      if (i >= 0) {
        // The usual run, `","` between canonical entries, is taken without the steps above (each
        // entry still counts towards `max`); anything else at the next one goes back through them.
        while (n + 1 < max && s.charCodeAt(i + 1) === 44 /* , */ && s.charCodeAt(i + 2) === 34 /* " */) {
          const next = batch!.pushQuotedV4(s, i + 3);
          if (next < 0) break;
          i = next;
          n++;
        }
      } else {
        i = s.indexOf('"', start);
        if (i < 0) return FAILED;
        for (let k = start; k < i; k++) {
          const d = s.charCodeAt(k);
          // An escape (the quote found may be an escaped one) or a raw control character (invalid JSON).
          if (d === 92 || d < 32) return FAILED;
        }
        parseJsonEntry(s.slice(start, i), this.result, batch);
      }
      pos = i + 1;
      this.first = false;
      if (++n >= max) {
        this.pos = pos;
        return MORE;
      }
    }
  }

  /** After DONE: the envelope checks out and the list scanned is its `data.list`; false → the JSON.parse way. */
  finish(): boolean {
    const envelope = `${this.text.slice(0, this.listStart)}["${LIST_SENTINEL}"]${this.text.slice(this.end)}`;
    let data: unknown;
    try {
      data = checkEnvelope(parseJson(envelope, this.type));
    } catch {
      // Invalid JSON, or an error answer: the JSON.parse way throws exactly what it always did.
      return false;
    }
    const list = typeof data === 'object' && data !== null ? (data as { list?: unknown }).list : undefined;
    return Array.isArray(list) && list.length === 1 && list[0] === LIST_SENTINEL;
  }
}

function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The answer's entry list (JSON) or its text, after the envelope and HTML checks. */
/** Index of the body's first character that is not whitespace, a control character or a BOM. */
function firstSignificant(body: string): number {
  let first = 0;
  while (first < body.length) {
    const c = body.charCodeAt(first);
    if (c > 32 && c !== BOM) break;
    first++;
  }
  return first;
}

function classifyBody(
  body: string,
  contentType: string | undefined,
): { list: unknown[]; text?: undefined } | { list?: undefined; text: string } {
  const first = firstSignificant(body);
  const type = contentType === undefined ? '' : contentType.toLowerCase();
  const lead = body.charCodeAt(first);

  if (lead === LBRACE || type.includes('json')) {
    const data = checkEnvelope(parseJson(first === 0 ? body : body.slice(first), type));
    if (typeof data !== 'object' || data === null || !Array.isArray((data as { list?: unknown }).list)) {
      throw new SwivelError('provider_malformed', 'The provider answer has no data.list array.', {
        details: {
          data: describeValue(data),
          list: data === null || typeof data !== 'object' ? 'absent' : describeValue((data as { list?: unknown }).list),
        },
      });
    }
    return { list: (data as { list: unknown[] }).list };
  }
  // An HTML page is a gateway or login page in front of the API, never an endpoint list.
  if (lead === LT || type.includes('html')) {
    throw new SwivelError('provider_malformed', 'The provider answered an HTML page instead of an endpoint list.', {
      details: { contentType: contentType ?? null, bytes: body.length },
    });
  }
  return { text: first === 0 ? body : body.slice(first) };
}

function parseJson(text: string, contentType: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // The SyntaxError's message quotes the body; keep it out of our message and details.
    throw new SwivelError('provider_malformed', 'The provider answer is not valid JSON.', {
      details: { contentType: contentType || null, bytes: text.length },
      cause: err,
    });
  }
}

/** `data.list`: a list of lists of entries, or a flat list. Deeper nesting counts as malformed. */
export function parseJsonList(list: unknown, result: ParseResult): void {
  if (!Array.isArray(list)) {
    noteMalformed(result, describeValue(list));
    return;
  }
  const batch = result.batch;
  for (let i = 0; i < list.length; i++) {
    const item: unknown = list[i];
    if (Array.isArray(item)) {
      for (let j = 0; j < item.length; j++) parseJsonEntry(item[j], result, batch);
    } else {
      parseJsonEntry(item, result, batch);
    }
  }
}

/**
 * One entry of `data.list`. `batch` is result.batch read once by the caller (an accessor-laden
 * object is slow to read per entry): the common entry goes straight into its columns, no object.
 */
function parseJsonEntry(value: unknown, result: ParseResult, batch: EndpointBatch | undefined = result.batch): void {
  if (typeof value === 'string') {
    if (batch !== undefined) {
      const key = ipv4PortKey(value, 0, value.length);
      if (key >= 0) {
        batch.pushKey(key);
        return;
      }
    }
    const endpoint = parseEndpointEntry(value);
    if (endpoint !== undefined) pushEndpoint(result, endpoint);
    else noteMalformedEntry(result, value);
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const endpoint = parseEndpointObject(value as Record<string, unknown>);
    if (typeof endpoint === 'string') noteMalformed(result, endpoint);
    else pushEndpoint(result, endpoint);
  } else {
    noteMalformed(result, describeValue(value));
  }
}

/**
 * `{ ip | host, port, user | username, pass | password }`, port a number or a numeric string.
 * Returns the endpoint, or a short secret-free reason.
 */
export function parseEndpointObject(o: Record<string, unknown>): ParsedEndpoint | string {
  const rawHost = typeof o.ip === 'string' ? o.ip : o.host;
  if (typeof rawHost !== 'string' || rawHost.length === 0) return 'object without host';
  let host = rawHost.trim();
  if (host.length > 2 && host.charCodeAt(0) === 91 /* [ */ && host.charCodeAt(host.length - 1) === 93 /* ] */) {
    host = host.slice(1, -1);
    if (!isIpv6Like(host, 0, host.length)) return 'object with invalid host';
  } else if (!isHostName(host, 0, host.length) && !isIpv6Like(host, 0, host.length)) {
    // In an object the host stands alone, so a bare IPv6 address is unambiguous here.
    return 'object with invalid host';
  }

  const rawPort = o.port;
  let port: number;
  if (typeof rawPort === 'number') {
    port = Number.isInteger(rawPort) && rawPort >= 1 && rawPort <= 65535 ? rawPort : -1;
  } else if (typeof rawPort === 'string') {
    const text = rawPort.trim();
    port = parsePort(text, 0, text.length);
  } else {
    return 'object without port';
  }
  if (port === -1) return 'object with invalid port';

  const endpoint: ParsedEndpoint = { host, port };
  const user = o.user !== undefined ? o.user : o.username;
  const pass = o.pass !== undefined ? o.pass : o.password;
  if (user !== undefined && user !== null && user !== '') {
    if (typeof user !== 'string') return 'object with invalid user';
    endpoint.username = user;
  }
  if (pass !== undefined && pass !== null && pass !== '') {
    if (typeof pass !== 'string') return 'object with invalid password';
    endpoint.password = pass;
  }
  return endpoint;
}

/**
 * One entry per line (LF or CRLF) and, when `lb` is given, per `lb` too. Blank lines and `#`
 * comments are skipped. An all-digit `lb` is ignored: several brands take `lb` as a numeric code
 * (1 = CRLF, 2 = <br> …) and splitting on a digit would cut every address apart.
 */
export function parseTextBody(body: string, lb: string | undefined, result: ParseResult): void {
  const batch = result.batch;
  const sep = textSeparator(lb);
  const sepLength = sep === undefined ? 0 : sep.length;
  const length = body.length;
  let pos = 0;
  let nextLf = body.indexOf('\n');
  let nextSep = sep === undefined ? -1 : body.indexOf(sep);
  for (;;) {
    if (nextLf !== -1 && nextLf < pos) nextLf = body.indexOf('\n', pos);
    if (nextSep !== -1 && nextSep < pos) nextSep = body.indexOf(sep as string, pos);
    let cut = length;
    let skip = 0;
    if (nextLf !== -1) {
      cut = nextLf;
      skip = 1;
    }
    if (nextSep !== -1 && nextSep < cut) {
      cut = nextSep;
      skip = sepLength;
    }
    parseLine(body, pos, cut, result, batch);
    if (skip === 0) return;
    pos = cut + skip;
  }
}

/** The `lb` separator text answers are split by besides newlines, or undefined (see parseTextBody). */
function textSeparator(lb: string | undefined): string | undefined {
  return lb !== undefined && lb.length > 0 && lb !== '\n' && !isDigits(lb) ? lb : undefined;
}

function parseLine(body: string, start: number, end: number, result: ParseResult, batch: EndpointBatch | undefined): void {
  while (start < end && body.charCodeAt(start) <= 32) start++;
  while (end > start && body.charCodeAt(end - 1) <= 32) end--;
  if (start === end || body.charCodeAt(start) === HASH) return;
  if (batch !== undefined) {
    const key = ipv4PortKey(body, start, end);
    if (key >= 0) {
      batch.pushKey(key);
      return;
    }
  }
  const endpoint = parseEndpointRange(body, start, end);
  if (endpoint !== undefined) {
    pushEndpoint(result, endpoint);
    return;
  }
  result.malformed++;
  if (result.firstMalformed === undefined) result.firstMalformed = describeEntry(body.slice(start, end));
}

function noteMalformedEntry(result: ParseResult, entry: string): void {
  result.malformed++;
  if (result.firstMalformed === undefined) result.firstMalformed = describeEntry(entry);
}

function noteMalformed(result: ParseResult, description: string): void {
  result.malformed++;
  if (result.firstMalformed === undefined) result.firstMalformed = description;
}
