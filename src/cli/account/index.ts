/**
 * The account command families, `swivel <noun> <verb>`, registered on the main yargs instance by one
 * call. `runAccountCli` builds a yargs of its own so tests can drive the commands in-process.
 */
import yargs, { type Argv } from 'yargs';
import { EXIT } from '../exit-codes.js';
import { accountsNoun } from './accounts.js';
import { allowlistNoun } from './allowlist.js';
import type { Act, Noun } from './command.js';
import { processIo, runAction, type AccountDeps } from './context.js';
import { geoNoun } from './geo.js';
import { ordersNoun } from './orders.js';
import { packagesNoun } from './packages.js';
import { paymentsNoun, productsNoun } from './products.js';
import { staticNoun } from './static.js';
import { usageBuilder, usageHandler } from './usage.js';

export type { AccountDeps, AccountIo } from './context.js';

const NOUNS: readonly Noun[] = [accountsNoun, allowlistNoun, packagesNoun, geoNoun, staticNoun, ordersNoun, productsNoun, paymentsNoun];

export function registerAccountCommands<T>(y: Argv<T>, onExit: (code: number) => void, deps: AccountDeps = { io: processIo }): Argv<T> {
  const act: Act = (action) => async (args) => onExit(await runAction(args, deps, action));
  let out = y;
  for (const noun of NOUNS) {
    out = out.command(
      noun.name,
      noun.describe,
      (c) => noun.verbs(c, act),
      () => undefined,
    ) as Argv<T>;
  }
  return out.command(
    'usage',
    'Traffic used per day, as a chart, with the total (default: last 7 days)',
    usageBuilder,
    usageHandler(act),
  ) as Argv<T>;
}

/** Run `argv` (e.g. `['accounts', 'list']`) against the account commands only; resolves with the exit code. */
export async function runAccountCli(argv: readonly string[], deps: AccountDeps): Promise<number> {
  let exitCode: number = EXIT.OK;
  const cli = registerAccountCommands(yargs([...argv]).scriptName('swivel'), (code) => (exitCode = code), deps)
    .strict()
    .help(false)
    .version(false)
    .fail((msg, err) => {
      if (err !== undefined && err !== null) throw err;
      deps.io.err(`swivel: ${msg}`);
      exitCode = EXIT.USAGE;
    });
  await cli.parseAsync();
  return exitCode;
}
