/**
 * Exit codes that mean something, decided only here (library code never exits):
 *   0  success
 *   1  internal error (a bug in swivel: the message says so)
 *   2  the user must fix something: a bad flag or value, a key the provider rejects, an unverified account
 *   3  a service is unavailable: the provider cannot be reached or answers nonsense, a port is taken
 */
import { ERRORS, type ErrorCode } from '../errors.js';

export const EXIT = { OK: 0, INTERNAL: 1, USAGE: 2, UNAVAILABLE: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The errors table decides; this only names the numbers for the CLI. */
export function exitCodeFor(code: ErrorCode): ExitCode {
  return ERRORS[code].exit;
}
