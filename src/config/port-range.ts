/**
 * `--session-ports 10001-10100`: a bounded range of ports, each one a sticky session. Kept apart
 * from load.ts so the range rules sit in one place.
 */
import { SwivelError } from '../errors.js';

const MAX_SESSION_PORTS = 1000;

/** `10001-10100` → {first, last}; one port (`10001`) is a range of one. */
export function sessionPortRange(value: string | undefined, source: string): { first: number; last: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
  const first = Number(m?.[1]);
  const last = m?.[2] === undefined ? first : Number(m[2]);
  if (m === null || first < 1 || last > 65535 || last < first) {
    throw new SwivelError('config_invalid', `Expected \`${source}\` to be a port range such as 10001-10100, got \`${value}\``);
  }
  if (last - first + 1 > MAX_SESSION_PORTS)
    throw new SwivelError('config_invalid', `\`${source}\` spans ${last - first + 1} ports; at most ${MAX_SESSION_PORTS}`);
  return { first, last };
}
