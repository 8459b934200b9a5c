/**
 * The CLI's voice. Commands print results to stdout and problems to stderr as one plain sentence
 * prefixed `swivel:`; a stack trace only for internal errors, since those are bugs to report.
 */
import { isSwivelError } from '../errors.js';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Print an error the way a user should see it and return the exit code to use. */
export function reportError(err: unknown, output: Output = stdio): ExitCode {
  if (isSwivelError(err)) {
    const code = exitCodeFor(err.code);
    if (code === EXIT.INTERNAL) {
      output.err(`swivel: internal error: ${err.message}. This is a bug; please report it with the output below.`);
      if (err.cause instanceof Error && err.cause.stack !== undefined) output.err(err.cause.stack);
    } else {
      output.err(`swivel: ${err.message}`);
    }
    return code;
  }
  output.err(
    `swivel: internal error: ${err instanceof Error ? err.message : String(err)}. This is a bug; please report it with the output below.`,
  );
  if (err instanceof Error && err.stack !== undefined) output.err(err.stack);
  return EXIT.INTERNAL;
}
