/**
 * The simulated account API: every endpoint of the platform documents (under the provider's prefix)
 * and IPIDEA's `/api/open/*` order API, on the provider sim's server. Answers use each envelope;
 * behaviours break it on purpose (bad key, unverified, HTTP 500, garbage, wrong shape, refusal).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http-server.js';
import { ipideaRoutes } from './ipidea-routes.js';
import { platformRoutes } from './platform-routes.js';
import type { Fields, Handler } from './routes-util.js';
import { AccountState } from './state.js';

export type AccountBehavior = 'ok' | 'bad-key' | 'unverified' | 'http-500' | 'garbage' | 'malformed' | 'refuse';

/** One account call as received; the credential is not kept, only where it came. */
export interface AccountCall {
  method: string;
  path: string;
  contentType: string;
  /** Query parameters (GET) or body fields (POST), without the credential. */
  fields: Record<string, unknown>;
  credentialIn: 'query' | 'body' | 'missing';
}

export interface AccountSim {
  readonly state: AccountState;
  readonly calls: readonly AccountCall[];
  resetCalls(): void;
  setBehavior(behavior: AccountBehavior): void;
  /** Name of IPIDEA's credential field the sim expects. Default `appkey`. */
  ipideaCredentialField: string;
  /** True when it served the request (the path is one of its own). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;

export function createAccountSim(opts: { appKey: string; prefix: string }): AccountSim {
  const state = new AccountState();
  let behavior: AccountBehavior = 'ok';
  let calls: AccountCall[] = [];
  const platform = platformRoutes(state);
  const ipidea = ipideaRoutes(state);

  const sim: AccountSim = {
    state,
    get calls() {
      return calls;
    },
    resetCalls() {
      calls = [];
    },
    setBehavior(next) {
      behavior = next;
    },
    ipideaCredentialField: 'appkey',
    handle(req, res, url) {
      const isIpidea = url.pathname.startsWith('/api/open/');
      const route = isIpidea
        ? ipidea[url.pathname]
        : url.pathname.startsWith(`${opts.prefix}/`)
          ? platform[`${req.method ?? ''} ${url.pathname.slice(opts.prefix.length)}`]
          : undefined;
      if (route === undefined) return false;
      void readFields(req, url).then(
        ({ fields, contentType }) => {
          const keyField = isIpidea ? sim.ipideaCredentialField : 'app_key';
          const key = url.searchParams.get(keyField) ?? fields[keyField];
          const credentialIn = url.searchParams.has(keyField) ? 'query' : keyField in fields ? 'body' : 'missing';
          delete fields[keyField];
          calls.push({ method: req.method ?? '', path: url.pathname, contentType, fields, credentialIn });
          answer(res, isIpidea, key === opts.appKey, route, fields);
        },
        () => sendJson(res, 400, { code: 400, msg: 'bad body' }),
      );
      return true;
    },
  };

  function answer(res: ServerResponse, isIpidea: boolean, keyOk: boolean, route: Handler, fields: Fields): void {
    if (behavior === 'http-500') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal server error');
      return;
    }
    if (behavior === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>502 Bad Gateway</html>');
      return;
    }
    if (behavior === 'malformed') {
      sendJson(res, 200, isIpidea ? { ret: 0, ret_data: 'oops' } : { code: 200, data: { lst: 'oops' } });
      return;
    }
    const reply = (code: number, msg: string, data: unknown): void =>
      sendJson(
        res,
        200,
        isIpidea
          ? { ret: code, code: String(code === 0 ? 1 : code), msg, ret_data: data, timestamp: Math.floor(Date.now() / 1000) }
          : { code, msg, data },
      );
    if (behavior === 'bad-key' || !keyOk) return reply(isIpidea ? 1001 : 3, 'invalid app_key', null);
    if (behavior === 'unverified') return reply(isIpidea ? 1002 : 156, 'account not verified', null);
    if (behavior === 'refuse') return reply(isIpidea ? 1003 : 400, 'request refused by the provider', null);
    const result = route(fields);
    reply(result.code, result.msg ?? 'success', result.data);
  }

  return sim;
}

async function readFields(req: IncomingMessage, url: URL): Promise<{ fields: Fields; contentType: string }> {
  const contentType = String(req.headers['content-type'] ?? '');
  if (req.method === 'GET') {
    req.resume();
    return { fields: Object.fromEntries(url.searchParams), contentType };
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  if (contentType.startsWith('application/json')) return { fields: JSON.parse(body) as Fields, contentType };
  if (contentType.startsWith('multipart/form-data')) return { fields: parseMultipart(body, contentType), contentType };
  return { fields: Object.fromEntries(new URLSearchParams(body)), contentType };
}

function parseMultipart(body: string, contentType: string): Fields {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (boundary === undefined) throw new Error('no boundary');
  const fields: Fields = {};
  for (const part of body.split(`--${boundary}`)) {
    const m = /^\r\nContent-Disposition: form-data; name="([^"]*)"\r\n\r\n([\s\S]*)\r\n$/.exec(part);
    if (m?.[1] !== undefined) fields[m[1]] = m[2] ?? '';
  }
  return fields;
}
