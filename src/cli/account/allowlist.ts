/** `swivel allowlist …`: the IP allowlist (`proxy-ip/list`, `add`, `delete`). */
import type { Argv } from 'yargs';
import type { AllowlistEntry } from '../../provider/account/types.js';
import { optionalString, strings, type Act, type Noun } from './command.js';
import { withAccountOptions, withYes } from './context.js';
import { formatDate, productTypeName, type Column } from './format.js';
import { optionalInt, parseIp } from './validate.js';

const COLUMNS: ReadonlyArray<Column<AllowlistEntry>> = [
  { header: 'IP', value: (e) => e.ip },
  { header: 'PRODUCT', value: (e) => productTypeName(e.product_type) },
  { header: 'CREATED', value: (e) => formatDate(e.created_at) },
  { header: 'REMARK', value: (e) => e.remark ?? '' },
];

export const allowlistNoun: Noun = {
  name: 'allowlist',
  describe: 'IP allowlist: list, add, remove',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'list',
        'List allowlisted IPs',
        (c) => withAccountOptions(c).option('product-type', { type: 'string', describe: 'Package type' }),
        act(async (ctx) => {
          const data = await ctx
            .platform('allowlist')
            .allowlistList({ product_type: optionalInt(ctx.args['product-type'], '--product-type') });
          ctx.table(data.list, COLUMNS);
        }),
      )
      .command(
        'add <ips..>',
        'Add IPs to the allowlist',
        (c) =>
          withAccountOptions(c).options({
            remark: { type: 'string', describe: 'Remark' },
            'product-type': { type: 'string', describe: 'Package type' },
            'user-product-id': { type: 'string', describe: 'User package id (required for package type 11)' },
          }),
        act(async (ctx) => {
          const ips = strings(ctx.args.ips)
            .flatMap((v) => v.split(','))
            .map((ip) => parseIp(ip.trim()));
          await ctx.platform('allowlist').allowlistAdd({
            ips: ips.join(','),
            remark: optionalString(ctx.args.remark),
            product_type: optionalInt(ctx.args['product-type'], '--product-type'),
            user_product_id: optionalInt(ctx.args['user-product-id'], '--user-product-id'),
          });
          ctx.done(`allowlisted ${ips.join(', ')}`, { added: ips });
        }),
      )
      .command(
        'remove <ips..>',
        'Remove IPs from the allowlist (needs --yes)',
        (c) =>
          withYes(withAccountOptions(c)).options({
            'verify-type': { type: 'string', describe: 'Verification type: phone, email, wechat or totp' },
            'verify-code': { type: 'string', describe: 'Verification code' },
          }),
        act(async (ctx) => {
          const ips = strings(ctx.args.ips)
            .flatMap((v) => v.split(','))
            .map((ip) => parseIp(ip.trim()));
          const api = ctx.platform('allowlist');
          await ctx.confirm(`Remove ${ips.join(', ')} from the allowlist?`);
          await api.allowlistDelete({
            ips: ips.join(','),
            verify_type: optionalString(ctx.args['verify-type']),
            verify_code: optionalString(ctx.args['verify-code']),
          });
          ctx.done(`removed ${ips.join(', ')}`, { removed: ips });
        }),
      )
      .demandCommand(1, 'Name a verb: list, add or remove');
  },
};
