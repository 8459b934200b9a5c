/**
 * The yargs-free `serve` parse (src/cli/fast-serve.ts) must give exactly the flags yargs gives on
 * every line it accepts, and must hand every other line to yargs. Compared against a yargs built
 * from the same catalogue (cli/options.ts), on lines covering each option kind.
 */
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { OPTIONS } from '../src/config/options.js';
import { fastServeFlags } from '../src/cli/fast-serve.js';
import { withOptions } from '../src/cli/options.js';

/** What yargs parses for `serve` (strict), without `_` and `$0`; throws on a usage error. */
function viaYargs(argv: string[]): Record<string, unknown> {
  const rest = argv[0] === 'serve' ? argv.slice(1) : argv;
  const parsed = withOptions(yargs(rest))
    .strict()
    .help(false)
    .version(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseSync() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) if (key !== '_' && key !== '$0') out[key] = value;
  return out;
}

const ACCEPTED: string[][] = [
  [],
  ['serve'],
  ['serve', '--port', '0', '--socks-port', '1080'],
  ['--api-base', 'http://127.0.0.1:9/gateway', '--app-key', '00123', '--num', '8'],
  ['--app-key=0x10', '--num=25', '--life', '5', '--api-timeout', '3s'],
  ['serve', '--allow-private-endpoints', '--log-level', 'warn', '--rotate', 'least-used'],
  ['--allow-private-endpoints=false', '--host', '::1', '--admin-port', '0'],
  ['--no-allow-private-endpoints', '--proxies-file', './p.txt'],
  ['--auth', 'user:p@ss:word', '--cc', 'US', '--state', 'CA', '--city', 'new york'],
  ['--country', 'de', '--session-ports', '10001-10010'],
];

const REFUSED: string[][] = [
  ['demo'],
  ['serve', 'extra'],
  ['--help'],
  ['-h'],
  ['serve', '--version'],
  ['--bogus', '1'],
  ['--port'],
  ['--port', '1', '--port', '2'],
  ['--rotate', 'nope'],
  ['--num', '3', '--', 'x'],
  ['accounts', 'list'],
  // camelCase flags: yargs also fills the kebab-case names load.ts reads; this parser would not.
  ['--apiBase', 'http://x/gateway', '--socksPort', '0'],
];

describe('serve without yargs', () => {
  it('every option kind is exercised by the accepted lines', () => {
    const kinds = new Set(ACCEPTED.flat().map((arg) => OPTIONS[arg.replace(/^--(no-)?/, '').split('=')[0] as keyof typeof OPTIONS]?.kind));
    for (const kind of ['string', 'int', 'duration', 'enum', 'boolean', 'secret', 'credentials']) expect(kinds).toContain(kind);
  });

  it.each(ACCEPTED.map((argv) => [argv.join(' '), argv]))('parses `%s` as yargs does', (_name, argv) => {
    const fast = fastServeFlags(argv as string[]);
    expect(fast).toBeDefined();
    expect(fast).toEqual(viaYargs(argv as string[]));
  });

  it.each(REFUSED.map((argv) => [argv.join(' '), argv]))('hands `%s` to yargs', (_name, argv) => {
    expect(fastServeFlags(argv as string[])).toBeUndefined();
  });
});
