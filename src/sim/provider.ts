/**
 * The simulated proxy provider: `GET {prefix}/ip/v3`, the IP extraction endpoint of the provider's OpenAPI
 * document, answering with its `{code, msg, data}` envelope (HTTP 200 even for failures, as the real API does)
 * and listing the simulated upstreams. Behaviours break it on purpose for tests of swivel's provider client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAccountSim, type AccountSim } from './account/router.js';
import { handleControl } from './control.js';
import { closeHttpServer, sendJson, startHttpServer, type HttpServerOptions } from './http-server.js';
import { PendingTimers } from './timers.js';
import type { SimUpstream } from './upstream.js';

/**
 * - `ok`: extracts normally.
 * - `bad-key`: `code: 3` for every key.
 * - `unverified`: `code: 156` (account not verified).
 * - `http-500`: HTTP 500 with a text body.
 * - `malformed`: HTTP 200 `{"code":200,"data":{"lst":"oops"}}`.
 * - `slow`: answers normally after `delayMs` (default 2000).
 * - `empty`: success with an empty list.
 */
export type ProviderBehavior = 'ok' | 'bad-key' | 'unverified' | 'http-500' | 'malformed' | 'slow' | 'empty';

export interface ProviderBehaviorOptions {
  /** For `slow`: delay before each answer. Default 2000. */
  delayMs?: number;
}

/** One extraction call as received. The app_key is deliberately not kept (it is a secret, even in a sim). */
export interface ExtractCall {
  cc?: string;
  state?: string;
  city?: string;
  num?: number;
  life?: number;
  ep?: string;
  format?: string;
  /** Date.now() when the call arrived. */
  at: number;
}

export interface ProviderSimOptions extends HttpServerOptions {
  upstreams: SimUpstream[];
  appKey: string;
  /** Path prefix of the API. Default `/gateway`, as in the provider's document. */
  prefix?: string;
}

export interface ProviderSim {
  /** Origin, e.g. `http://127.0.0.1:41000`. */
  readonly url: string;
  /** `url + prefix`, what swivel is configured with as its api base. */
  readonly apiBase: string;
  readonly port: number;
  readonly calls: readonly ExtractCall[];
  readonly callCount: number;
  resetCalls(): void;
  readonly behavior: ProviderBehavior;
  /** The account API (proxy accounts, allowlist, orders, …, and IPIDEA's `/api/open/*`) on the same server. */
  readonly account: AccountSim;
  setBehavior(behavior: ProviderBehavior, opts?: ProviderBehaviorOptions): void;
  /** Closes the listener and every connection. Never rejects. */
  close(): Promise<void>;
}

/** The document's enumerated `num` has no default; 10 matches its example answer. */
const DEFAULT_NUM = 10;
const DEFAULT_SLOW_MS = 2000;
/** The document's text format separator; CRLF is what such APIs use when `lb` is omitted. */
const DEFAULT_LB = '\r\n';

export async function startProviderSim(opts: ProviderSimOptions): Promise<ProviderSim> {
  const prefix = opts.prefix ?? '/gateway';
  const extractPath = `${prefix}/ip/v3`;
  let behavior: ProviderBehavior = 'ok';
  let slowMs = DEFAULT_SLOW_MS;
  let calls: ExtractCall[] = [];
  const timers = new PendingTimers();
  // Rotation cursor per filter, so successive extractions of the same geo walk through all matches.
  const cursors = new Map<string, number>();
  const account = createAccountSim({ appKey: opts.appKey, prefix });

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    // The account API reads request bodies, so it is asked before the body is discarded.
    if (account.handle(req, res, url)) return;
    req.resume();
    if (handleControl(req, res, url.pathname, opts.upstreams)) return;
    if (url.pathname !== extractPath) {
      sendJson(res, 404, { code: 404, msg: 'not found' });
      return;
    }
    if (req.method !== 'GET') {
      sendJson(res, 405, { code: 405, msg: 'method not allowed' });
      return;
    }
    const query = url.searchParams;
    calls.push(recordCall(query));
    if (behavior === 'slow') {
      timers.later(slowMs, () => answer(res, query, 'ok'));
      return;
    }
    answer(res, query, behavior);
  }

  function answer(res: ServerResponse, query: URLSearchParams, current: ProviderBehavior): void {
    if (current === 'http-500') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal server error');
      return;
    }
    if (current === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"code":200,"data":{"lst":"oops"}}');
      return;
    }
    if (current === 'bad-key' || query.get('app_key') !== opts.appKey) {
      sendJson(res, 200, { code: 3, msg: 'invalid app_key', data: null });
      return;
    }
    if (current === 'unverified') {
      sendJson(res, 200, { code: 156, msg: 'account not verified', data: null });
      return;
    }
    const entries = current === 'empty' ? [] : select(query);
    const format = query.get('format')?.toLowerCase();
    if (format === 'text' || format === 'txt') {
      const body = entries.join(query.get('lb') ?? DEFAULT_LB);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    // One inner list per extraction, as in the document's example; no match is an empty outer list.
    sendJson(res, 200, { code: 200, msg: 'success', data: { list: entries.length === 0 ? [] : [entries] } });
  }

  function select(query: URLSearchParams): string[] {
    const cc = nonEmpty(query.get('cc'))?.toLowerCase();
    const ep = nonEmpty(query.get('ep'))?.toLowerCase();
    const matches: SimUpstream[] = [];
    for (const upstream of opts.upstreams) {
      if (cc !== undefined && upstream.country.toLowerCase() !== cc) continue;
      if (ep !== undefined && upstream.ep?.toLowerCase() !== ep) continue;
      matches.push(upstream);
    }
    if (matches.length === 0) return [];
    const requested = Number(query.get('num'));
    const num = Math.min(Number.isInteger(requested) && requested > 0 ? requested : DEFAULT_NUM, matches.length);
    const key = `${cc ?? '*'}|${ep ?? '*'}`;
    const start = (cursors.get(key) ?? 0) % matches.length;
    cursors.set(key, start + num);
    const entries: string[] = [];
    for (let i = 0; i < num; i++) {
      const upstream = matches[(start + i) % matches.length];
      if (upstream !== undefined) entries.push(upstream.id);
    }
    return entries;
  }

  const { server, port, url } = await startHttpServer(onRequest, opts);
  let closing: Promise<void> | undefined;

  return {
    url,
    apiBase: `${url}${prefix}`,
    port,
    get calls() {
      return calls;
    },
    get callCount() {
      return calls.length;
    },
    resetCalls() {
      calls = [];
    },
    get behavior() {
      return behavior;
    },
    account,
    setBehavior(next, behaviorOpts = {}) {
      behavior = next;
      slowMs = behaviorOpts.delayMs ?? DEFAULT_SLOW_MS;
    },
    close() {
      if (closing === undefined) {
        timers.cancelAll();
        closing = closeHttpServer(server);
      }
      return closing;
    },
  };
}

function recordCall(query: URLSearchParams): ExtractCall {
  const call: ExtractCall = { at: Date.now() };
  for (const name of ['cc', 'state', 'city', 'ep', 'format'] as const) {
    const value = query.get(name);
    if (value !== null) call[name] = value;
  }
  for (const name of ['num', 'life'] as const) {
    const value = query.get(name);
    if (value !== null && value !== '' && Number.isFinite(Number(value))) call[name] = Number(value);
  }
  return call;
}

function nonEmpty(value: string | null): string | undefined {
  return value === null || value === '' ? undefined : value;
}
