/**
 * Exit codes that mean something, decided only here (library code never exits):
 *   0  success
 *   1  internal error (a bug in swivel: the message says so)
 *   2  the user must fix something: a bad flag or value, a key the provider rejects, an unverified account
 *   3  a service is unavailable: the provider cannot be reached or answers nonsense, a port is taken
 */
import type { ErrorCode } from '../errors.js';

export const EXIT = { OK: 0, INTERNAL: 1, USAGE: 2, UNAVAILABLE: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const USER_FIXES: ReadonlySet<ErrorCode> = new Set([
  'config_invalid',
  'provider_auth',
  'provider_unverified',
  'provider_refused',
  'bad_request',
  'bad_selector',
]);

export function exitCodeFor(code: ErrorCode): ExitCode {
  if (USER_FIXES.has(code)) return EXIT.USAGE;
  if (code === 'internal') return EXIT.INTERNAL;
  return EXIT.UNAVAILABLE;
}
