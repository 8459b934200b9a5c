/**
 * Value parsing: one raw option value (a flag, an env string or the catalogue default) to the typed
 * value its kind promises, or a `config_invalid` error quoting the value and where it came from:
 *   Expected `--num` to be an integer from 1 to 1000, got `abc` (string)
 */
import { SwivelError } from '../errors.js';
import { parseDuration } from './duration.js';
import { OPTIONS, type OptionName, type OptionSpec } from './options.js';

export interface Raw {
  value: unknown;
  /** How the user spelled it: `--num`, `SWIVEL_NUM` or `default`. */
  source: string;
}

export function fail(message: string): never {
  throw new SwivelError('config_invalid', message);
}

export function describeValue(value: unknown): string {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${shown}\` (${typeof value})`;
}

function parseInteger(raw: Raw, spec: OptionSpec): number {
  // Plain decimal only: Number() would also take `0x10` and `1e2`, which nobody means for a port.
  const n =
    typeof raw.value === 'number' ? raw.value : typeof raw.value === 'string' && /^\s*-?\d+\s*$/.test(raw.value) ? Number(raw.value) : NaN;
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(`Expected \`${raw.source}\` to be an integer from ${min} to ${max}, got ${describeValue(raw.value)}`);
  }
  return n;
}

export function parseValue(name: OptionName, raw: Raw): unknown {
  const spec: OptionSpec = OPTIONS[name];
  switch (spec.kind) {
    case 'int':
      return parseInteger(raw, spec);
    case 'duration': {
      const text = String(raw.value).trim();
      // `--api-timeout 10` most likely means seconds; reading it as 10 ms would fail every call.
      if (/^\d+(\.\d+)?$/.test(text) && Number(text) !== 0) {
        fail(`\`${raw.source}\` needs a unit: \`${text}s\` or \`${text}ms\` (durations read 500ms, 30s, 5m, 1h)`);
      }
      const ms = parseDuration(text);
      // Durations are positive unless the option says 0 means something (drain-timeout: at once).
      if (ms === undefined || !Number.isFinite(ms) || ms < (spec.min ?? 1)) {
        fail(`Expected \`${raw.source}\` to be a duration such as 500ms, 30s, 5m or 1h, got ${describeValue(raw.value)}`);
      }
      return ms;
    }
    case 'enum': {
      const v = String(raw.value).toLowerCase();
      if (!spec.choices?.includes(v)) {
        fail(`Expected \`${raw.source}\` to be one of ${spec.choices?.join(', ')}, got ${describeValue(raw.value)}`);
      }
      return v;
    }
    case 'boolean': {
      if (typeof raw.value === 'boolean') return raw.value;
      const v = String(raw.value).toLowerCase();
      if (v === 'true' || v === '1' || v === 'yes') return true;
      if (v === 'false' || v === '0' || v === 'no') return false;
      return fail(`Expected \`${raw.source}\` to be true or false, got ${describeValue(raw.value)}`);
    }
    case 'credentials': {
      const v = String(raw.value);
      const colon = v.indexOf(':');
      if (colon <= 0 || colon === v.length - 1) {
        // Never echo the value: it holds a password.
        fail(`Expected \`${raw.source}\` to be user:pass with both parts non-empty`);
      }
      // Any user name: gateway-style ones (customer-X, brd-customer-X-zone-Y) carry dashes.
      const username = v.slice(0, colon);
      return { username, password: v.slice(colon + 1) };
    }
    case 'string':
    case 'secret': {
      if (typeof raw.value !== 'string' && typeof raw.value !== 'number') {
        fail(`Expected \`${raw.source}\` to be a value, got ${spec.kind === 'secret' ? 'nothing' : describeValue(raw.value)}`);
      }
      const v = String(raw.value).trim();
      if (v === '') fail(`Expected \`${raw.source}\` to be non-empty`);
      return v;
    }
  }
}
