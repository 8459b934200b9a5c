/** `swivel accounts …`: proxy sub-accounts (`whitelist-account/*`, `proxy-account/change`). */
import type { Argv } from 'yargs';
import { SwivelError } from '../../errors.js';
import type { PlatformApi } from '../../provider/account/platform.js';
import type { ProxyAccount } from '../../provider/account/types.js';
import { optionalString, strings, type Act, type Noun } from './command.js';
import { withAccountOptions, withYes } from './context.js';
import { enabledWord, formatDate, formatKb, formatLimitGb, productTypeName, type Column } from './format.js';
import { optionalInt, parseGb, parseOnOff, parsePassword, parseUser, parseUserPass } from './validate.js';

const COLUMNS: ReadonlyArray<Column<ProxyAccount>> = [
  { header: 'USER', value: (a) => a.username },
  { header: 'STATUS', value: (a) => enabledWord(a.status) },
  { header: 'PRODUCT', value: (a) => productTypeName(a.product_type) },
  { header: 'USED', value: (a) => formatKb(a.usage_flow), right: true },
  { header: 'LIMIT', value: (a) => formatLimitGb(a.limit_flow), right: true },
  { header: 'CREATED', value: (a) => formatDate(a.created_at) },
  { header: 'REMARK', value: (a) => a.remark ?? '' },
];

/** The proxy password is the user's secret: never printed, not even with --json. */
function withoutPassword(a: ProxyAccount): Omit<ProxyAccount, 'password'> {
  const { password: _password, ...rest } = a;
  return rest;
}

const productType = { 'product-type': { type: 'string', describe: 'Package type: 9, 11, 14 or 25' } } as const;

export const accountsNoun: Noun = {
  name: 'accounts',
  describe: 'Proxy sub-accounts: list, add, delete, enable, disable, set',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'list',
        'List proxy accounts',
        (c) => withAccountOptions(c).options(productType),
        act(async (ctx) => {
          const data = await ctx
            .platform('accounts')
            .accountsList({ product_type: optionalInt(ctx.args['product-type'], '--product-type') });
          ctx.table(data.list, COLUMNS, withoutPassword);
        }),
      )
      .command(
        'add <accounts..>',
        'Add proxy accounts given as USER:PASS',
        (c) => withAccountOptions(c).options(productType).option('remark', { type: 'string', describe: 'Remark for the accounts' }),
        act(async (ctx) => {
          const pairs = strings(ctx.args.accounts).map(parseUserPass);
          await ctx.platform('accounts').accountsAdd({
            accounts: pairs.map((p) => `${p.username}:${p.password}`).join(','),
            remark: optionalString(ctx.args.remark),
            product_type: optionalInt(ctx.args['product-type'], '--product-type'),
          });
          ctx.done(`added ${pairs.map((p) => p.username).join(', ')}`, { added: pairs.map((p) => p.username) });
        }),
      )
      .command(
        'delete <users..>',
        'Delete proxy accounts (cannot be undone; needs --yes)',
        (c) => withYes(withAccountOptions(c)),
        act(async (ctx) => {
          const users = strings(ctx.args.users).map((u) => parseUser(u));
          const api = ctx.platform('accounts');
          await ctx.confirm(`Delete proxy account(s) ${users.join(', ')} for good?`);
          await api.accountsDelete({ accounts: users.join(',') });
          ctx.done(`deleted ${users.join(', ')}`, { deleted: users });
        }),
      )
      .command(
        'enable <users..>',
        'Enable proxy accounts',
        (c) => withAccountOptions(c),
        act(async (ctx) => {
          const users = strings(ctx.args.users).map((u) => parseUser(u));
          await ctx.platform('accounts').accountsEnable({ accounts: users.join(',') });
          ctx.done(`enabled ${users.join(', ')}`, { enabled: users });
        }),
      )
      .command(
        'disable <users..>',
        'Disable proxy accounts (takes about 5 minutes to bite)',
        (c) => withAccountOptions(c),
        act(async (ctx) => {
          const users = strings(ctx.args.users).map((u) => parseUser(u));
          await ctx.platform('accounts').accountsDisable({ accounts: users.join(',') });
          ctx.done(`disabled ${users.join(', ')}`, { disabled: users });
        }),
      )
      .command(
        'set <user>',
        'Change a proxy account: password, remark, limits, status, UDP',
        (c) =>
          withAccountOptions(c).options({
            password: { type: 'string', describe: 'New password, 6-16 letters and digits' },
            remark: { type: 'string', describe: 'New remark' },
            'limit-gb': { type: 'string', describe: 'Traffic limit in GB, 0 = none (0..102400)' },
            'daily-limit-gb': { type: 'string', describe: 'Daily traffic limit in GB, 0 = none (0..102400)' },
            status: { type: 'string', describe: 'on or off' },
            udp: { type: 'string', describe: 'on or off (package types 14, 16, 21, 25)' },
          }),
        act(async (ctx) => {
          const a = ctx.args;
          const change = {
            account: parseUser(String(a.user), 'USER'),
            password: a.password === undefined ? undefined : parsePassword(String(a.password)),
            remark: optionalString(a.remark),
            limit: a['limit-gb'] === undefined ? undefined : parseGb(a['limit-gb'], '--limit-gb'),
            daily_limit: a['daily-limit-gb'] === undefined ? undefined : parseGb(a['daily-limit-gb'], '--daily-limit-gb'),
            status: a.status === undefined ? undefined : parseOnOff(a.status, '--status'),
            udp: a.udp === undefined ? undefined : parseOnOff(a.udp, '--udp'),
          };
          const fields = Object.entries(change)
            .filter(([k, v]) => k !== 'account' && v !== undefined)
            .map(([k]) => k);
          if (fields.length === 0) {
            throw new SwivelError(
              'config_invalid',
              'Nothing to change: pass --password, --remark, --limit-gb, --daily-limit-gb, --status or --udp',
            );
          }
          await applyChange(ctx.platform('accounts'), ctx.profile.accountChange, change);
          ctx.done(`changed ${fields.join(', ')} of ${change.account}`, { account: change.account, changed: fields });
        }),
      )
      .demandCommand(1, 'Name a verb: list, add, delete, enable, disable or set');
  },
};

type Change = Parameters<PlatformApi['accountsChange']>[0];

/**
 * One `proxy-account/change` call, or for brands without it the single-field endpoints, which
 * cannot set the daily limit, status or UDP (refused before any call).
 */
export async function applyChange(api: PlatformApi, mode: 'combined' | 'single-field', change: Change): Promise<void> {
  if (mode === 'combined') {
    await api.accountsChange(change);
    return;
  }
  const { account, password, remark, limit } = change;
  const unsupported = (['daily_limit', 'status', 'udp'] as const).filter((k) => change[k] !== undefined);
  if (unsupported.length > 0) {
    throw new SwivelError('config_invalid', `This provider changes accounts one field at a time and cannot set ${unsupported.join(', ')}`);
  }
  if (password !== undefined) await api.accountsChangePassword({ account, password });
  if (remark !== undefined) await api.accountsChangeRemark({ account, remark });
  if (limit !== undefined) await api.accountsChangeLimit({ account, limit });
}
