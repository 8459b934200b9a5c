/** How a noun module hands its verbs to yargs: `act(action)` turns an action into a yargs handler. */
import type { Argv } from 'yargs';
import type { RawFlags } from '../../config/load.js';
import type { Action } from './context.js';

export type Act = (action: Action) => (args: RawFlags) => Promise<void>;

export interface Noun {
  readonly name: string;
  readonly describe: string;
  verbs(y: Argv, act: Act): Argv;
}

/** Positional values as strings, whatever yargs made of them. */
export function strings(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  return v === undefined ? undefined : String(v);
}
