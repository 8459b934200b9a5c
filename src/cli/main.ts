#!/usr/bin/env node
/**
 * swivel's command line: the only place that reads process.argv, decides exit codes and prints.
 */
import type { Argv } from 'yargs';
import { RENAMED } from '../config/options.js';
import { EXIT } from './exit-codes.js';
import { fastServeFlags } from './fast-serve.js';
import { EXTRACT_OPTIONS, withOptions } from './options.js';
import { version } from '../version.js';
import { usageLines, type UsageView } from './strict.js';

// Each command's module is loaded by its handler, so a process pays only for the command it runs:
// `serve` never loads the simulator (demo), and idle RSS is what serving needs (bench/memory.bench.mjs).

/** Thrown from yargs' fail handler so no command handler runs after a usage mistake. */
class UsageFailure extends Error {}

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
  // A plain `serve` line is parsed without loading yargs (fast-serve.ts says why); every other
  // line, and any mistake in one, goes to yargs.
  const flags = fastServeFlags(argv);
  if (flags !== undefined) return (await import('./serve.js')).serveCommand(flags);
  const { default: yargs } = await import('yargs');
  const { registerAccountCommands } = await import('./account/index.js');
  let exitCode: number = EXIT.OK;
  // A command's handler only records what to run: the run starts after parsing, once nothing
  // refers to the yargs instance, so a long-running `serve` does not keep the parser, its
  // option tables and help strings alive (idle RSS, issue 12).
  let run: (() => Promise<number>) | undefined;
  let cli: Argv | undefined = yargs([...argv])
    .scriptName('swivel')
    .usage("$0 [command] [options]\n\nA local rotating proxy fed by a provider's extraction API.")
    .command(
      ['serve', '$0'],
      'Run the HTTP/CONNECT and SOCKS5 proxy (default command)',
      (y) => withOptions(y),
      (args) => {
        run = async () => (await import('./serve.js')).serveCommand(args);
      },
    )
    .command(
      'demo',
      'Run offline against the built-in simulator and print curl lines to try',
      (y) =>
        withOptions(y, [
          'host',
          'port',
          'socks-port',
          'admin-port',
          'admin-host',
          'access-log',
          'drain-timeout',
          'rotate',
          'log-level',
          'num',
          'pool-min',
          'auth',
          'auth-challenge',
          'session-ports',
          'session-ports-cc',
        ]).option('once', {
          type: 'boolean',
          describe: 'Show rotation, then exit instead of serving until Ctrl-C',
        }),
      (args) => {
        run = async () => (await import('./demo.js')).demoCommand(args, args.once === true);
      },
    )
    .command(
      'extract',
      'Call the extraction API once and print the endpoints (check a key and a geo)',
      (y) => withOptions(y, EXTRACT_OPTIONS).option('json', { type: 'boolean', describe: 'Print JSON instead of one endpoint per line' }),
      async (args) => {
        const { extractCommand } = await import('./extract.js');
        exitCode = await extractCommand(args, args.json === true);
      },
    )
    .command(
      'status',
      "Print a running swivel's pools and endpoints as a table (from its admin port)",
      (y) =>
        y
          .option('admin', { type: 'string', describe: 'Admin base URL', default: 'http://127.0.0.1:9090', requiresArg: true })
          .option('admin-auth', { type: 'string', describe: 'user:pass when the admin port has --admin-auth', requiresArg: true }),
      async (args) => {
        const { statusCommand } = await import('./status.js');
        exitCode = await statusCommand(args.admin, args['admin-auth']);
      },
    )
    .strict()
    .strictCommands()
    .help()
    .alias('h', 'help')
    .version(version)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .fail((msg, err, usage) => {
      // yargs' own parse errors (a flag without its value) are usage mistakes too; anything else is ours.
      if (err !== undefined && err !== null && err.name !== 'YError') throw err;
      const lines = usageLines(msg ?? err?.message ?? 'invalid arguments', usage as unknown as UsageView, { argv, commands });
      process.stderr.write(`${lines.join('\n')}\n`);
      throw new UsageFailure(msg);
    });
  registerAccountCommands(cli, (code) => (exitCode = code));
  // yargs keeps the registered commands on its internal usage instance (the typings omit it); read
  // them before parsing, since inside a command's context the list is that command's own.
  type Internal = { getInternalMethods(): { getUsageInstance(): { getCommands(): [string, ...unknown[]][] } } };
  const commands = [...(cli as unknown as Internal).getInternalMethods().getUsageInstance().getCommands()];
  try {
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof UsageFailure) return EXIT.USAGE;
    throw err;
  }
  cli = undefined;
  return run === undefined ? exitCode : await run();
}

// What yargs' hideBin does for node (argv[0] is node, argv[1] the script), without loading yargs.
const code = await main(process.argv.slice(2));
process.exitCode = code;
