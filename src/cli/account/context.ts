/**
 * What every account command shares: where the API is and with which key (the catalogue options
 * --api-base/--provider/--app-key/--api-timeout/--credential-field and their SWIVEL_* env), the
 * terminal or pipe it prints to, confirmation before spending or deleting, pagination, and turning
 * errors into one line and an exit code.
 */
import { createInterface } from 'node:readline/promises';
import type { Dispatcher } from 'undici';
import type { Argv } from 'yargs';
import { loadOption, type RawFlags } from '../../config/load.js';
import type { OptionName } from '../../config/options.js';
import { SwivelError } from '../../errors.js';
import { createIpideaClient, type IpideaApi } from '../../provider/account/ipidea.js';
import { createPlatformClient, type PlatformApi } from '../../provider/account/platform.js';
import { documentedBase, profileByName, profileForBase, type Family, type ProviderProfile } from '../../provider/profiles/index.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { reportError } from '../output.js';
import { withOptions } from '../options.js';
import { renderTable, type Column } from './format.js';

export interface AccountIo {
  out(line: string): void;
  err(line: string): void;
  /** stdout is a terminal: aligned table with colour and charts. */
  readonly isTTY: boolean;
  /** stdin and stderr are a terminal: a confirmation may be asked. */
  readonly canAsk: boolean;
  /** Ask a yes/no question on the terminal; only called when canAsk. */
  ask(question: string): Promise<string>;
}

export const processIo: AccountIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  get isTTY() {
    return process.stdout.isTTY === true;
  },
  get canAsk() {
    return process.stdin.isTTY === true && process.stderr.isTTY === true;
  },
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

export interface AccountDeps {
  io: AccountIo;
  env?: Readonly<Record<string, string | undefined>>;
  dispatcher?: Dispatcher;
}

export const SHARED_OPTIONS: readonly OptionName[] = ['api-base', 'provider', 'app-key', 'api-timeout', 'credential-field'];

/** The catalogue's shared options plus --json. */
export function withAccountOptions<T>(y: Argv<T>): Argv<T> {
  return withOptions(y, SHARED_OPTIONS).option('json', {
    type: 'boolean',
    describe: 'Print the API data as JSON (one line per item for lists)',
  }) as Argv<T>;
}

export function withPaging<T>(y: Argv<T>): Argv<T> {
  return y
    .option('page', { type: 'string', describe: 'Page number (from 1)' })
    .option('size', { type: 'string', describe: 'Items per page' })
    .option('all', { type: 'boolean', describe: 'Walk every page' }) as Argv<T>;
}

export function withYes<T>(y: Argv<T>): Argv<T> {
  return y.option('yes', { alias: 'y', type: 'boolean', describe: 'Do it without asking' }) as Argv<T>;
}

export class AccountContext {
  readonly profile: ProviderProfile;
  private readonly apiBase: string;
  private readonly appKey: string;
  private readonly timeoutMs: number;
  private readonly credentialField: string | undefined;

  constructor(
    readonly args: RawFlags,
    readonly deps: AccountDeps,
  ) {
    const env = deps.env ?? process.env;
    const provider = loadOption('provider', args, env) as string | undefined;
    const explicitBase = loadOption('api-base', args, env) as string | undefined;
    if (provider === undefined && explicitBase === undefined) {
      throw new SwivelError('config_invalid', 'Missing provider: pass --api-base (with the brand prefix, e.g. /gateway) or --provider');
    }
    this.profile = provider !== undefined ? profileByName(provider) : profileForBase(explicitBase ?? '');
    const base = explicitBase ?? documentedBase(this.profile);
    if (base === undefined) {
      throw new SwivelError('config_invalid', `The ${this.profile.name} provider documents no base URL; pass --api-base`);
    }
    let url: URL | undefined;
    try {
      url = new URL(base);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new SwivelError(
        'config_invalid',
        `Expected \`--api-base\` to be an http(s) URL such as https://api.example.com/gateway, got \`${base}\``,
      );
    }
    this.apiBase = base.replace(/\/+$/, '');
    const appKey = loadOption('app-key', args, env) as string | undefined;
    if (appKey === undefined) throw new SwivelError('config_invalid', 'Missing app key: pass --app-key or set SWIVEL_APP_KEY');
    this.appKey = appKey;
    this.timeoutMs = loadOption('api-timeout', args, env) as number;
    this.credentialField = loadOption('credential-field', args, env) as string | undefined;
  }

  get io(): AccountIo {
    return this.deps.io;
  }

  get json(): boolean {
    return this.args.json === true;
  }

  /** One line, exit 2, when the brand does not serve `family`. */
  require(family: Family): void {
    if (!this.profile.families.includes(family)) {
      throw new SwivelError('config_invalid', `The ${this.profile.name} provider does not serve \`${family}\` commands.`);
    }
  }

  platform(family: Family): PlatformApi {
    this.require(family);
    if (this.profile.api !== 'platform')
      throw new SwivelError('config_invalid', `The ${this.profile.name} provider does not serve this command.`);
    return createPlatformClient(this.clientOptions());
  }

  ipidea(): IpideaApi {
    return createIpideaClient(this.clientOptions());
  }

  private clientOptions(): Parameters<typeof createPlatformClient>[0] {
    const o: Parameters<typeof createPlatformClient>[0] = {
      profile: this.profile,
      apiBase: this.apiBase,
      credential: this.appKey,
      timeoutMs: this.timeoutMs,
    };
    if (this.credentialField !== undefined) o.credentialField = this.credentialField;
    if (this.deps.dispatcher !== undefined) o.dispatcher = this.deps.dispatcher;
    return o;
  }

  /** A table, or with --json one JSON line per row. Secrets are dropped by the caller's columns and `json`. */
  table<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>, json: (row: T) => unknown = (r) => r): void {
    if (this.json) {
      for (const row of rows) this.io.out(JSON.stringify(json(row)));
      return;
    }
    for (const line of renderTable(rows, columns, this.io.isTTY)) this.io.out(line);
  }

  /** A done-message on stderr (stdout stays for data), or the data as JSON with --json. */
  done(message: string, data: unknown = { ok: true }): void {
    if (this.json) this.io.out(JSON.stringify(data ?? { ok: true }));
    else this.io.err(`swivel: ${message}`);
  }

  /**
   * Proceed only with --yes or an interactive "y". Without a terminal and without --yes the
   * command stops with exit 2 having done nothing.
   */
  async confirm(question: string): Promise<void> {
    if (this.args.yes === true) return;
    if (!this.io.canAsk) {
      throw new SwivelError(
        'config_invalid',
        `${question.replace(/\?$/, '')}: pass --yes to confirm (no terminal to ask on). Nothing was done.`,
      );
    }
    const answer = (await this.io.ask(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new SwivelError('config_invalid', 'Not confirmed. Nothing was done.');
  }
}

/** At most this many pages are walked by --all, so a provider that never says "last" cannot loop us. */
export const MAX_PAGES = 1000;

export interface Page<T> {
  items: T[];
  totalPages: number;
}

/** `--page`/`--size` or, with `--all`, every page from 1 until `totalPages`. */
export async function paged<T>(ctx: AccountContext, fetch: (page: number, size: number | undefined) => Promise<Page<T>>): Promise<T[]> {
  const { page: rawPage, size: rawSize, all } = ctx.args;
  const page = rawPage === undefined ? 1 : positive(rawPage, '--page');
  const size = rawSize === undefined ? undefined : positive(rawSize, '--size');
  if (all !== true) return (await fetch(page, size)).items;
  const items: T[] = [];
  for (let p = 1; p <= MAX_PAGES; p++) {
    const result = await fetch(p, size);
    items.push(...result.items);
    if (result.items.length === 0 || p >= result.totalPages) break;
  }
  return items;
}

function positive(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    throw new SwivelError('config_invalid', `Expected \`${name}\` to be a positive integer, got \`${String(value)}\``);
  }
  return n;
}

export type Action = (ctx: AccountContext) => Promise<void>;

/** Run one command: build the context, act, and turn any failure into one line and an exit code. */
export async function runAction(args: RawFlags, deps: AccountDeps, action: Action): Promise<ExitCode> {
  try {
    await action(new AccountContext(args, deps));
    return EXIT.OK;
  } catch (err) {
    return reportError(err, deps.io);
  }
}
