/**
 * The provider's answer envelope: `{ code, msg | message, data }` (BestProxy OpenAPI, "Response
 * format"). `code` 200 is success on most endpoints and 0 on the order, payment and product ones;
 * 3 means an invalid app_key and 156 an account that is not verified.
 */
import { SwivelError } from '../errors.js';
import { truncate } from './describe.js';

export const SUCCESS_CODES: readonly number[] = Object.freeze([200, 0]);
export const CODE_INVALID_APP_KEY = 3;
export const CODE_UNVERIFIED = 156;

/** The provider's messages are often Chinese and sometimes long; we keep 200 characters. */
export const MAX_PROVIDER_MESSAGE_LENGTH = 200;

/** Check the envelope and return its `data`; throw a coded SwivelError for any failure code. */
export function checkEnvelope(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SwivelError('provider_malformed', 'The provider answer is not a JSON object.', {
      details: { kind: json === null ? 'null' : Array.isArray(json) ? 'array' : typeof json },
    });
  }
  const envelope = json as Record<string, unknown>;
  const code = numericCode(envelope.code);
  if (code === undefined) {
    throw new SwivelError('provider_malformed', 'The provider answer has no numeric code.', {
      details: { code: typeof envelope.code },
    });
  }
  if (code === 200 || code === 0) return envelope.data;

  const message = providerMessage(envelope);
  const details: Record<string, unknown> = { providerCode: code };
  if (message !== undefined) details.providerMessage = message;
  if (code === CODE_INVALID_APP_KEY) {
    throw new SwivelError('provider_auth', 'The provider rejected the app key (code 3: invalid app_key). Check --app-key.', {
      details,
    });
  }
  if (code === CODE_UNVERIFIED) {
    throw new SwivelError(
      'provider_unverified',
      'The provider account is not verified (code 156). Complete verification in the provider dashboard.',
      { details },
    );
  }
  throw new SwivelError(
    'provider_error',
    message === undefined ? `The provider answered code ${code} without a message.` : `The provider answered code ${code}: ${message}`,
    { details },
  );
}

/** True when `json` looks like an envelope at all (an object with a numeric code). */
export function isEnvelope(json: unknown): json is { code: unknown } {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && numericCode((json as { code?: unknown }).code) !== undefined;
}

/** A number, or a string of digits: some PHP back ends send `"code": "200"`. */
function numericCode(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,9}$/.test(value)) return Number(value);
  return undefined;
}

function providerMessage(envelope: Record<string, unknown>): string | undefined {
  const raw = typeof envelope.msg === 'string' && envelope.msg.trim() !== '' ? envelope.msg : envelope.message;
  if (typeof raw !== 'string') return undefined;
  // One line in our message: control characters (newlines included) become spaces.
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length === 0 ? undefined : truncate(text, MAX_PROVIDER_MESSAGE_LENGTH);
}
