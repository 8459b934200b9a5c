/**
 * Answer envelopes. Two shapes exist among the providers swivel speaks to:
 * - the white-label platform: `{ code, msg | message, data }` (BestProxy OpenAPI, "Response format");
 *   `code` 200 is success on most endpoints and 0 on the order, payment and product ones; 3 means an
 *   invalid app_key and 156 an account that is not verified.
 * - IPIDEA's order API: `{ ret, code, msg, ret_data, timestamp }`, success `ret` 0 (its order document).
 * An Envelope checks the answer and returns its data, or throws a coded SwivelError.
 */
import { SwivelError, type ErrorCode } from '../../errors.js';
import { truncate } from '../describe.js';

export interface Envelope {
  readonly name: 'platform' | 'ipidea';
  /** Return the payload of a successful answer; throw a coded SwivelError otherwise. */
  unwrap(json: unknown, successCodes: readonly number[]): unknown;
}

export interface EnvelopeErrorCodes {
  /** Code for a failure the provider explains that is neither a bad key nor an unverified account. */
  readonly refused: ErrorCode;
}

export const CODE_INVALID_APP_KEY = 3;
export const CODE_UNVERIFIED = 156;
/** The provider's messages are often Chinese and sometimes long; we keep 200 characters. */
export const MAX_PROVIDER_MESSAGE_LENGTH = 200;

function asObject(json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SwivelError('provider_malformed', 'The provider answer is not a JSON object.', {
      details: { kind: json === null ? 'null' : Array.isArray(json) ? 'array' : typeof json },
    });
  }
  return json as Record<string, unknown>;
}

/** A number, or a string of digits: some PHP back ends send `"code": "200"`. */
export function numericCode(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,9}$/.test(value)) return Number(value);
  return undefined;
}

export function providerMessage(envelope: Record<string, unknown>): string | undefined {
  const raw = typeof envelope.msg === 'string' && envelope.msg.trim() !== '' ? envelope.msg : envelope.message;
  if (typeof raw !== 'string') return undefined;
  // One line in our message: control characters (newlines included) become spaces.
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length === 0 ? undefined : truncate(text, MAX_PROVIDER_MESSAGE_LENGTH);
}

/** The platform envelope; `refused` lets the account API map plain refusals to a user-fix code. */
export function platformEnvelope(codes: EnvelopeErrorCodes = { refused: 'provider_error' }): Envelope {
  return {
    name: 'platform',
    unwrap(json, successCodes) {
      const envelope = asObject(json);
      const code = numericCode(envelope.code);
      if (code === undefined) {
        throw new SwivelError('provider_malformed', 'The provider answer has no numeric code.', {
          details: { code: typeof envelope.code },
        });
      }
      if (successCodes.includes(code)) return envelope.data;
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
        codes.refused,
        message === undefined ? `The provider answered code ${code} without a message.` : `The provider answered code ${code}: ${message}`,
        { details },
      );
    },
  };
}

/** IPIDEA: `ret` 0 is success and `ret_data` the payload; anything else is a refusal carrying `msg`. */
export function ipideaEnvelope(codes: EnvelopeErrorCodes = { refused: 'provider_error' }): Envelope {
  return {
    name: 'ipidea',
    unwrap(json, successCodes) {
      const envelope = asObject(json);
      const ret = numericCode(envelope.ret);
      if (ret === undefined) {
        throw new SwivelError('provider_malformed', 'The provider answer has no numeric ret.', { details: { ret: typeof envelope.ret } });
      }
      if (successCodes.includes(ret)) return envelope.ret_data;
      const message = providerMessage(envelope);
      throw new SwivelError(
        codes.refused,
        message === undefined ? `The provider answered ret ${ret} without a message.` : `The provider answered ret ${ret}: ${message}`,
        { details: { providerCode: ret, providerMessage: message ?? null } },
      );
    },
  };
}
