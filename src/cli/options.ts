/**
 * yargs option definitions built from the catalogue in config/options.ts. No defaults are given to
 * yargs (only shown in help), so load.ts can tell a given flag from an absent one and apply env
 * values in between.
 */
import type { Argv, Options } from 'yargs';
import { OPTIONS, envName, type OptionName, type OptionSpec } from '../config/options.js';

function yargsOption(name: OptionName): Options {
  const spec: OptionSpec = OPTIONS[name];
  const shownDefault = spec.default === undefined ? undefined : String(spec.default);
  const option: Options = {
    describe: `${spec.describe}  [env ${envName(name)}]`,
    group: `${spec.group}:`,
    requiresArg: spec.kind !== 'boolean',
  };
  if (shownDefault !== undefined) option.defaultDescription = shownDefault;
  if (spec.alias !== undefined) option.alias = spec.alias;
  if (spec.choices !== undefined) option.choices = [...spec.choices];
  // Keep keys and passwords as typed ("00123" must not become 123); numbers are validated by load.ts.
  if (spec.kind === 'string' || spec.kind === 'secret' || spec.kind === 'credentials') option.type = 'string';
  if (spec.kind === 'boolean') option.type = 'boolean';
  return option;
}

/** Register `names` (default: every option) on a yargs instance. */
export function withOptions<T>(y: Argv<T>, names: readonly OptionName[] = Object.keys(OPTIONS) as OptionName[]): Argv<T> {
  let out = y;
  for (const name of names) out = out.option(name, yargsOption(name)) as Argv<T>;
  return out;
}

/** The options `extract` understands: where to extract from and what to ask for. */
export const EXTRACT_OPTIONS: readonly OptionName[] = [
  'api-base',
  'provider',
  'app-key',
  'proxies-file',
  'num',
  'life',
  'format',
  'lb',
  'api-timeout',
  'cc',
  'state',
  'city',
  'ep',
  'log-level',
];
