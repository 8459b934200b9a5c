/**
 * The extraction source: `GET {api-base}/ip/v3` through the shared transport, parsed into
 * endpoints. Every other endpoint of the provider's API goes through the typed account clients
 * (account/). The app_key travels as a query parameter; it never appears in our errors or logs:
 * URLs go through redactUrl and every error leaving this class is scrubbed once more.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { SwivelError } from '../errors.js';
import { redactUrl, silentLogger, type Logger } from '../logger.js';
import { isEnvelope, checkEnvelope } from './envelope.js';
import { endpointCount, parseExtractionBodyInSlices } from './parse.js';
import { send, type NodeAgents, type RawResponse, type SendOptions } from './transport.js';
import type { EndpointSource, ExtractQuery, ParseResult } from './types.js';

export interface ProviderClientOptions {
  /** Base including the brand's path prefix: `https://api.proxy4free.com/cgi`. */
  apiBase: string;
  appKey: string;
  /** An undici dispatcher, to route through a proxy or pin connections in tests; node:http when absent. */
  dispatcher?: Dispatcher;
  /** Keep-alive agents of the node:http path (closed by their owner); one shared pair when absent. */
  agents?: NodeAgents;
  /** Budget for one request: connect, headers and body. Default 10 000. */
  timeoutMs?: number;
  /** Answers larger than this are aborted. Default 4 MiB (a real list is a few hundred KB). */
  maxBodyBytes?: number;
  logger?: Logger;
  /** Schedules request deadlines; the system clock when absent. */
  clock?: Clock;
}

export type QueryParams = Record<string, string | number | undefined>;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Query parameter order of `GET /ip/v3`, as the provider documents it. */
const EXTRACT_PARAMS = ['cc', 'state', 'city', 'num', 'life', 'ep', 'format', 'lb'] as const;

export class ProviderClient implements EndpointSource {
  readonly name: string;
  readonly #base: string;
  readonly #appKey: string;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #agents: NodeAgents | undefined;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #log: Logger;
  readonly #clock: Clock | undefined;

  constructor(options: ProviderClientOptions) {
    this.#base = checkApiBase(options.apiBase);
    if (typeof options.appKey !== 'string' || options.appKey.trim() === '') {
      throw new SwivelError('config_invalid', 'Expected `--app-key` to be a non-empty string.');
    }
    this.#appKey = options.appKey;
    this.#dispatcher = options.dispatcher;
    this.#agents = options.agents;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#log = (options.logger ?? silentLogger).child({ component: 'provider' });
    this.#clock = options.clock;
    this.name = `api ${redactUrl(this.#base)}`;
  }

  async extract(query: ExtractQuery, signal?: AbortSignal): Promise<ParseResult> {
    const params: QueryParams = {};
    for (const key of EXTRACT_PARAMS) params[key] = query[key];
    const url = this.#url('ip/v3', params);
    const started = performance.now();
    try {
      const response = await send(url, this.#sendOptions('GET', signal));
      if (!isOk(response.status)) throw httpError(response, url);
      // In slices: a large answer must not hold up requests for the whole walk (issue 12).
      const result = await parseExtractionBodyInSlices(response.text, response.contentType, query.lb);
      const fields = {
        url: redactUrl(url),
        status: response.status,
        latencyMs: Math.round(performance.now() - started),
        endpoints: endpointCount(result),
        malformed: result.malformed,
      };
      // Malformed entries are warned about once per extraction by the refresher, which knows the sub-pool.
      this.#log.debug(fields, 'extraction done');
      return result;
    } catch (err) {
      throw this.#scrub(err);
    }
  }

  #sendOptions(method: 'GET' | 'POST', signal: AbortSignal | undefined): SendOptions {
    return {
      dispatcher: this.#dispatcher,
      agents: this.#agents,
      method,
      timeoutMs: this.#timeoutMs,
      maxBodyBytes: this.#maxBodyBytes,
      signal,
      clock: this.#clock,
    };
  }

  /** app_key first, then the set parameters in the given order; undefined and '' are left out. */
  #form(params: QueryParams | undefined): URLSearchParams {
    const search = new URLSearchParams();
    search.set('app_key', this.#appKey);
    if (params !== undefined) {
      for (const key of Object.keys(params)) {
        const value = params[key];
        if (value !== undefined && value !== '') search.set(key, String(value));
      }
    }
    return search;
  }

  #url(path: string, params: QueryParams | undefined): string {
    let start = 0;
    while (path.charCodeAt(start) === 47 /* / */) start++;
    const url = `${this.#base}/${path.slice(start)}`;
    return params === undefined ? url : `${url}?${this.#form(params).toString()}`;
  }

  /**
   * Last line of defence: a provider may echo the key in its message (or a cause may quote the
   * URL). Errors that leave this class are rebuilt without it.
   */
  #scrub(err: unknown): unknown {
    if (!(err instanceof SwivelError)) return err;
    const key = this.#appKey;
    const encoded = encodeURIComponent(key);
    const leaks = (text: string): boolean => {
      const outside = text.split(PARAM_NAME).join('\n');
      return outside.includes(key) || outside.includes(encoded);
    };
    const detailsText = err.details === undefined ? '' : JSON.stringify(err.details);
    const causeText = err.cause instanceof Error ? `${err.cause.message}` : '';
    if (!leaks(err.message) && !leaks(detailsText) && !leaks(causeText)) return err;
    // Blank the value, never the parameter name: a key that happens to be `k` must not turn
    // `app_key=k` into `app_***ey=***`.
    const clean = (text: string): string => blankOutside(blankOutside(redactUrl(text), key), encoded);
    const details = err.details === undefined ? undefined : (JSON.parse(clean(detailsText)) as Record<string, unknown>);
    const options: { details?: Record<string, unknown>; cause?: unknown } = {};
    if (details !== undefined) options.details = details;
    if (!leaks(causeText)) options.cause = err.cause;
    return new SwivelError(err.code, clean(err.message), options);
  }
}

const PARAM_NAME = 'app_key';

/** Replace every `secret` with `***`, except inside the parameter name `app_key` itself. */
function blankOutside(text: string, secret: string): string {
  if (secret === '') return text;
  return text
    .split(PARAM_NAME)
    .map((piece) => piece.split(secret).join('***'))
    .join(PARAM_NAME);
}

/** The base without trailing slashes; it must be an absolute http(s) URL. */
function checkApiBase(apiBase: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(apiBase);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.search !== '' || parsed.hash !== '') {
    throw new SwivelError(
      'config_invalid',
      `Expected \`--api-base\` to be an http(s) URL without a query, got \`${redactUrl(String(apiBase))}\`.`,
    );
  }
  let end = apiBase.length;
  while (end > 0 && apiBase.charCodeAt(end - 1) === 47 /* / */) end--;
  return apiBase.slice(0, end);
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * A non-2xx answer. The body is still read first: the provider answers some failures (an invalid
 * app_key among them) with an error envelope under a 4xx, and that code says more than the status.
 */
function httpError(response: RawResponse, url: string): SwivelError {
  let json: unknown;
  try {
    json = JSON.parse(response.text) as unknown;
  } catch {
    json = undefined;
  }
  if (isEnvelope(json)) {
    try {
      checkEnvelope(json);
    } catch (err) {
      if (err instanceof SwivelError) return err;
    }
  }
  const safeUrl = redactUrl(url);
  const details: Record<string, unknown> = { url: safeUrl, status: response.status };
  if (response.location !== undefined) details.location = redactUrl(response.location);
  // 429 and 503 may say when to come back (RFC 9110 §10.2.3); the refresher honours it.
  if ((response.status === 429 || response.status === 503) && response.retryAfter !== undefined) {
    details.retryAfter = response.retryAfter;
  }
  return new SwivelError('provider_http', `The provider API answered HTTP ${response.status} for ${safeUrl}.`, { details });
}
