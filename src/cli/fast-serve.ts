/**
 * `serve`'s happy path without loading yargs (issue 12, idle RSS).
 *
 * yargs builds help, usage errors and the other commands; loading it costs an idle `serve`
 * ~9 MiB of RSS for the process's whole life (its ESM modules are never unloaded; cliui and
 * string-width compile Unicode-property regexes and an Intl.Segmenter at import), measured in
 * bench/README.md. So a command line that is plainly `[serve] --known-flag value ...` is parsed
 * here by yargs-parser, the parser yargs itself runs, with the same option hints yargs derives
 * from the catalogue (string/boolean types, aliases, requiresArg) and the same parser
 * configuration. Anything else — a positional, `--help`/`--version`, an unknown or repeated flag,
 * a value outside its choices, a parse error — returns undefined and main.ts hands the line to
 * yargs, which answers exactly as before (help, exit 2 naming the flag). test/rss-cli-fast-path.test.ts
 * checks that both parsers give the same flags on the lines this one accepts.
 */
import parser from 'yargs-parser';
import { OPTIONS, type OptionName, type OptionSpec } from '../config/options.js';

type Flags = Record<string, unknown>;

interface Hints {
  options: parser.Options;
  known: Set<string>;
  choices: Map<string, readonly string[]>;
}

const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function hints(): Hints {
  const string: string[] = [];
  const boolean: string[] = ['help', 'version'];
  const alias: Record<string, string[]> = { help: ['h'] };
  const narg: Record<string, number> = {};
  const known = new Set<string>();
  const choices = new Map<string, readonly string[]>();
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const spec: OptionSpec = OPTIONS[name];
    known.add(name).add(camel(name));
    if (spec.kind === 'string' || spec.kind === 'secret' || spec.kind === 'credentials') string.push(name);
    if (spec.kind === 'boolean') boolean.push(name);
    // yargs' requiresArg: a NaN narg, which yargs-parser reads as "exactly one value must follow".
    else narg[name] = NaN;
    if (spec.alias !== undefined) {
      alias[name] = [spec.alias];
      known.add(spec.alias).add(camel(spec.alias));
    }
    if (spec.choices !== undefined) choices.set(name, spec.choices);
  }
  // What yargs passes on top of its own option table (yargs-factory.js, parse).
  const configuration = { 'parse-positional-numbers': false, 'populate--': true } as Partial<parser.Configuration>;
  return { options: { string, boolean, alias, narg, configuration }, known, choices };
}

/** The flags of a plain `serve` command line, or undefined when yargs must judge it. */
export function fastServeFlags(argv: readonly string[]): Flags | undefined {
  const rest = argv[0] === 'serve' ? argv.slice(1) : argv;
  const { options, known, choices } = hints();
  const parsed = parser.detailed([...rest], options);
  if (parsed.error !== null) return undefined;
  const flags = parsed.argv as Flags & { _: unknown[]; '--'?: unknown[] };
  // A word that is no flag's value (another command, a typo) is left in `_`: yargs judges it.
  if (flags._.length > 0 || (flags['--'] !== undefined && flags['--'].length > 0)) return undefined;
  // A flag typed in camelCase (`--apiBase`) sets only that key here, while yargs also fills the
  // kebab-case name load.ts reads: leave those lines to yargs.
  for (const name of Object.keys(OPTIONS)) {
    if (flags[name] === undefined && flags[camel(name)] !== undefined) return undefined;
  }
  const out: Flags = {};
  for (const [key, value] of Object.entries(flags)) {
    if (key === '_' || key === '--') continue;
    if (key === 'help' || key === 'h' || key === 'version') {
      if (value === false) continue;
      return undefined;
    }
    if (!known.has(key) || Array.isArray(value)) return undefined;
    const allowed = choices.get(key);
    if (allowed !== undefined && !allowed.includes(String(value))) return undefined;
    out[key] = value;
  }
  return out;
}
