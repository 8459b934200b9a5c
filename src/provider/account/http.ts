/**
 * One account-API call: encode the parameters the way the endpoint's document says (query for GET,
 * JSON or form for the platform's POSTs, multipart for IPIDEA), add the credential, send through the
 * shared transport (node:http, or an injected undici dispatcher), check HTTP status, JSON, envelope and shape.
 * The credential never appears in an error: URLs are redacted and messages scrubbed.
 */
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { SwivelError } from '../../errors.js';
import { redactUrl } from '../../logger.js';
import { truncate } from '../describe.js';
import type { Envelope } from '../profiles/envelope.js';
import { send } from '../transport.js';

export type Encoding = 'query' | 'json' | 'form' | 'multipart';

export interface EndpointSpec {
  readonly method: 'GET' | 'POST';
  /** Relative to the API base (which carries the brand prefix), e.g. `/whitelist-account/list`. */
  readonly path: string;
  readonly encoding: Encoding;
  readonly successCodes: readonly number[];
  /** What `data` must look like; anything else is a malformed answer (exit 3). */
  readonly shape: Shape;
}

export type Shape = 'any' | 'object' | 'list' | 'array' | 'ipidea-page';

export interface AccountTransportOptions {
  /** Base including the brand prefix, e.g. `https://api.example.com/gateway`. */
  apiBase: string;
  credential: string;
  credentialField: string;
  envelope: Envelope;
  timeoutMs: number;
  dispatcher?: Dispatcher;
  maxBodyBytes?: number;
}

export type Params = Readonly<Record<string, string | number | boolean | undefined>>;

const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export async function callEndpoint(t: AccountTransportOptions, spec: EndpointSpec, params: Params): Promise<unknown> {
  const fields: Array<[string, string]> = [[t.credentialField, t.credential]];
  for (const [name, value] of Object.entries(params)) if (value !== undefined) fields.push([name, String(value)]);
  let url = `${t.apiBase.replace(/\/+$/, '')}${spec.path}`;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  switch (spec.encoding) {
    case 'query':
      url += `?${new URLSearchParams(fields).toString()}`;
      break;
    case 'form':
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(fields).toString();
      break;
    case 'json': {
      headers['content-type'] = 'application/json';
      const object: Record<string, unknown> = { [t.credentialField]: t.credential };
      for (const [name, value] of Object.entries(params)) if (value !== undefined) object[name] = value;
      body = JSON.stringify(object);
      break;
    }
    case 'multipart': {
      const boundary = `swivel${randomBytes(12).toString('hex')}`;
      headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
      body = multipart(fields, boundary);
      break;
    }
  }
  const safeUrl = scrub(redactUrl(url), t.credential);
  try {
    const response = await send(url, {
      dispatcher: t.dispatcher,
      method: spec.method,
      timeoutMs: t.timeoutMs,
      maxBodyBytes: t.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      headers,
      body,
    });
    if (response.status < 200 || response.status > 299) {
      throw new SwivelError('provider_http', `The provider answered HTTP ${response.status} to ${spec.method} ${safeUrl}.`, {
        details: { status: response.status, url: safeUrl },
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw new SwivelError(
        'provider_malformed',
        `The provider answer to ${spec.path} is not JSON: \`${truncate(response.text.trim(), 60)}\`.`,
        {
          details: { url: safeUrl },
        },
      );
    }
    const data = t.envelope.unwrap(json, spec.successCodes);
    if (!hasShape(data, spec.shape)) {
      throw new SwivelError('provider_malformed', `The provider answer to ${spec.path} has an unexpected shape.`, {
        details: { url: safeUrl, shape: spec.shape },
      });
    }
    return data;
  } catch (err) {
    // Belt and braces: no message leaves here holding the credential, whatever produced it.
    if (err instanceof SwivelError && err.message.includes(t.credential)) {
      throw new SwivelError(err.code, scrub(err.message, t.credential), { details: { url: safeUrl } });
    }
    throw err;
  }
}

function scrub(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('***');
}

/** RFC 7578 multipart/form-data with text fields only. */
function multipart(fields: ReadonlyArray<[string, string]>, boundary: string): string {
  let out = '';
  for (const [name, value] of fields) {
    out += `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/"/g, '%22')}"\r\n\r\n${value}\r\n`;
  }
  return `${out}--${boundary}--\r\n`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasShape(data: unknown, shape: Shape): boolean {
  switch (shape) {
    case 'any':
      return true;
    case 'object':
      return isObject(data);
    case 'array':
      return Array.isArray(data);
    case 'list':
      return isObject(data) && Array.isArray(data.list);
    case 'ipidea-page':
      return isObject(data) && Array.isArray(data.data);
  }
}
