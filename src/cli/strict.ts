/**
 * Strict command line: an unknown flag, an unknown command or a flag of another command is one
 * line naming it and the closest known name, plus one hint line (exit 2). Generic over whatever
 * commands and options are registered with yargs, so commands added later are covered unasked.
 */
import { OPTIONS } from '../config/options.js';

/** What yargs' usage instance tells the fail handler (yargs 18). */
export interface UsageView {
  getDescriptions(): Record<string, unknown>;
}

export interface StrictContext {
  argv: readonly string[];
  /** Every command registered at the top level: [name, description, isDefault, aliases]. */
  commands: ReadonlyArray<readonly [string, ...unknown[]]>;
}

/** Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `known` to `name`, if it is close enough to be what was meant. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const distance = editDistance(name.toLowerCase(), k.toLowerCase());
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** `sessionTll` → `session-tll`, to drop the camelCase twin yargs reports beside each unknown flag. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function unknownNames(message: string): string[] | undefined {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (m === null) return undefined;
  const names = m[1]!.split(', ');
  const set = new Set(names);
  return names.filter((n) => !(n !== kebab(n) && set.has(kebab(n))));
}

/** The command the argv runs: its first bare token that names a registered command. */
function commandOf(ctx: StrictContext): string | undefined {
  const names = new Set(ctx.commands.map((c) => c[0]));
  for (const arg of ctx.argv) {
    if (arg.startsWith('-')) continue;
    return names.has(arg) ? arg : undefined;
  }
  return undefined;
}

function isBareToken(argv: readonly string[], name: string): boolean {
  return argv.includes(name) && !argv.includes(`--${name}`) && !argv.some((a) => a.startsWith(`--${name}=`));
}

/**
 * The lines to print for a yargs validation failure: one per mistake, then at most one hint.
 * Messages yargs words well itself (missing value, invalid choice) pass through.
 */
export function usageLines(message: string, usage: UsageView, ctx: StrictContext): string[] {
  const choice = /Argument: (\S+), Given: (.*), Choices: (.*)$/s.exec(message);
  if (choice !== null) {
    return [
      `swivel: \`--${choice[1]}\` must be one of ${choice[3]!.replaceAll('"', '')}; got ${choice[2]}`,
      'Run `swivel --help` for usage.',
    ];
  }
  const command = /^Unknown command: (.*)$/.exec(message);
  const names = command === null ? unknownNames(message) : [command[1]!];
  if (names === undefined) return [`swivel: ${message.split('\n').join(' ')}`, 'Run `swivel --help` for usage.'];
  const running = commandOf(ctx);
  const shown = running === undefined ? 'swivel' : `swivel ${running}`;
  const own = Object.keys(usage.getDescriptions());
  const commandNames = ctx.commands.map((c) => c[0]);
  const lines: string[] = [];
  let hint = `Run \`${shown} --help\` for its options.`;
  for (const name of names) {
    if (isBareToken(ctx.argv, name)) {
      if (running === undefined && ctx.argv.find((a) => !a.startsWith('-')) === name) {
        const near = closest(name, commandNames);
        lines.push(`swivel: unknown command \`${name}\`${near === undefined ? '' : `; did you mean \`${near}\`?`}`);
        hint = `Commands: ${commandNames.join(', ')}.`;
      } else {
        lines.push(`swivel: unexpected argument \`${name}\` for \`${shown}\``);
      }
      continue;
    }
    const flag = name.length === 1 ? `-${name}` : `--${name}`;
    if (Object.hasOwn(OPTIONS, kebab(name)) && !own.includes(kebab(name))) {
      lines.push(`swivel: option \`${flag}\` does not belong to \`${shown}\``);
      continue;
    }
    const near = closest(name, own);
    lines.push(`swivel: unknown option \`${flag}\`${near === undefined ? '' : `; did you mean \`--${near}\`?`}`);
  }
  lines.push(hint);
  return lines;
}
