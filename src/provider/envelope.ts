/**
 * The extraction API's envelope check. The reading itself lives in profiles/envelope.ts (the
 * platform envelope `{ code, msg | message, data }`); extraction accepts both success codes, 200
 * and 0, as it always has.
 */
import { platformEnvelope, numericCode } from './profiles/envelope.js';

export { CODE_INVALID_APP_KEY, CODE_UNVERIFIED, MAX_PROVIDER_MESSAGE_LENGTH } from './profiles/envelope.js';

export const SUCCESS_CODES: readonly number[] = Object.freeze([200, 0]);

const EXTRACTION_ENVELOPE = platformEnvelope();

/** Check the envelope and return its `data`; throw a coded SwivelError for any failure code. */
export function checkEnvelope(json: unknown): unknown {
  return EXTRACTION_ENVELOPE.unwrap(json, SUCCESS_CODES);
}

/** True when `json` looks like an envelope at all (an object with a numeric code). */
export function isEnvelope(json: unknown): json is { code: unknown } {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && numericCode((json as { code?: unknown }).code) !== undefined;
}
