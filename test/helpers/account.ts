/**
 * Drives the account commands in-process (runAccountCli) against the provider sim on loopback, with
 * stdout/stderr captured and the terminal faked on or off.
 */
import { afterEach } from 'vitest';
import { runAccountCli, type AccountIo } from '../../src/cli/account/index.js';
import { startProviderSim, type ProviderSim } from '../../src/sim/index.js';

export const APP_KEY = 'sEcReTkEy0123456789';

const sims: ProviderSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

export async function startAccountSim(prefix = '/gateway'): Promise<ProviderSim> {
  const sim = await startProviderSim({ upstreams: [], appKey: APP_KEY, prefix });
  sims.push(sim);
  return sim;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
  questions: string[];
}

export interface RunOptions {
  tty?: boolean;
  answer?: string;
  env?: Record<string, string>;
}

export async function run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const io: AccountIo = {
    out: (line) => (stdout += `${line}\n`),
    err: (line) => (stderr += `${line}\n`),
    isTTY: opts.tty === true,
    canAsk: opts.tty === true,
    ask: (q) => {
      questions.push(q);
      return Promise.resolve(opts.answer ?? 'n');
    },
  };
  const code = await runAccountCli(args, { io, env: opts.env ?? {} });
  return { code, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== ''), questions };
}

/** Shared flags for the sim: its api base and the key. */
export function on(sim: ProviderSim, ...args: string[]): string[] {
  return [...args, '--api-base', sim.apiBase, '--app-key', APP_KEY];
}

/** Every output, and every error, must be free of the key. */
export function keyless(r: RunResult): void {
  if (r.stdout.includes(APP_KEY) || r.stderr.includes(APP_KEY)) throw new Error(`the app key leaked:\n${r.stdout}\n${r.stderr}`);
}
