#!/usr/bin/env node
/**
 * swivel's command line: the only place that reads process.argv, decides exit codes and prints.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { RENAMED } from '../config/options.js';
import { registerAccountCommands } from './account/index.js';
import { demoCommand } from './demo.js';
import { EXIT } from './exit-codes.js';
import { extractCommand } from './extract.js';
import { EXTRACT_OPTIONS, withOptions } from './options.js';
import { serveCommand } from './serve.js';

/** Renamed or commonly guessed flags, caught before yargs calls them merely "unknown". */
function renamedFlag(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const hint = RENAMED[name];
    if (hint !== undefined) return `swivel: unknown option \`--${name}\`; did you mean \`--${hint}\`?`;
  }
  return undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const renamed = renamedFlag(argv);
  if (renamed !== undefined) {
    process.stderr.write(`${renamed}\n`);
    return EXIT.USAGE;
  }
  let exitCode: number = EXIT.OK;
  const cli = yargs([...argv])
    .scriptName('swivel')
    .usage("$0 [command] [options]\n\nA local rotating proxy fed by a provider's extraction API.")
    .command(
      ['serve', '$0'],
      'Run the HTTP/CONNECT and SOCKS5 proxy (default command)',
      (y) => withOptions(y),
      async (args) => {
        exitCode = await serveCommand(args);
      },
    )
    .command(
      'demo',
      'Run offline against the built-in simulator and print curl lines to try',
      (y) =>
        withOptions(y, ['host', 'port', 'socks-port', 'rotate', 'log-level', 'num', 'pool-min']).option('once', {
          type: 'boolean',
          describe: 'Show rotation, then exit instead of serving until Ctrl-C',
        }),
      async (args) => {
        exitCode = await demoCommand(args, args.once === true);
      },
    )
    .command(
      'extract',
      'Call the extraction API once and print the endpoints (check a key and a geo)',
      (y) => withOptions(y, EXTRACT_OPTIONS).option('json', { type: 'boolean', describe: 'Print JSON instead of one endpoint per line' }),
      async (args) => {
        exitCode = await extractCommand(args, args.json === true);
      },
    )
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err !== undefined && err !== null) throw err;
      process.stderr.write(`swivel: ${msg}\nRun \`swivel --help\` for usage.\n`);
      exitCode = EXIT.USAGE;
    });
  registerAccountCommands(cli, (code) => (exitCode = code));
  await cli.parseAsync();
  return exitCode;
}

const code = await main(hideBin(process.argv));
process.exitCode = code;
