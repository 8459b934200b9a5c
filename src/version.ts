/**
 * swivel's own version, read from its own package.json (next to dist/ or src/), never from the
 * project it is installed into: yargs' built-in `.version()` looks up from the process's cwd/main
 * and printed the host project's version.
 */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const version: string = readVersion();
