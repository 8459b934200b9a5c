/** `swivel products list` and `swivel payments …` (`product`, `payment/list`, `payment/groups`, `activity/balance-recharge-gift-ratio`). */
import type { Argv } from 'yargs';
import type { PaymentMethod, Product } from '../../provider/account/types.js';
import type { Act, Noun } from './command.js';
import { withAccountOptions } from './context.js';
import { productTypeName, text, type Column } from './format.js';
import { optionalInt } from './validate.js';

const PRODUCT_COLUMNS: ReadonlyArray<Column<Product>> = [
  { header: 'ID', value: (p) => text(p.id), right: true },
  { header: 'TITLE', value: (p) => text(p.title) },
  { header: 'TYPE', value: (p) => productTypeName(p.type) },
  { header: 'USD', value: (p) => text(p.usd_price), right: true },
  { header: 'DAYS', value: (p) => text(p.time_days), right: true },
];

const PAYMENT_COLUMNS: ReadonlyArray<Column<PaymentMethod>> = [
  { header: 'ID', value: (p) => text(p.id), right: true },
  { header: 'TITLE', value: (p) => text(p.title) },
  { header: 'GROUP', value: (p) => text(p.group) },
  { header: 'FEE RATE', value: (p) => text(p.handling_rate), right: true },
  { header: 'AVAILABLE', value: (p) => (p.disabled === true ? 'no' : 'yes') },
];

export const productsNoun: Noun = {
  name: 'products',
  describe: 'Packages for sale: list',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'list',
        'Packages for sale',
        (c) => withAccountOptions(c).option('type', { type: 'string', describe: 'Package type' }),
        act(async (ctx) =>
          ctx.table(await ctx.platform('products').products({ type: optionalInt(ctx.args.type, '--type') }), PRODUCT_COLUMNS),
        ),
      )
      .demandCommand(1, 'Name a verb: list');
  },
};

export const paymentsNoun: Noun = {
  name: 'payments',
  describe: 'Payment methods: list, groups, gift-ratio',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'list',
        'Payment methods',
        (c) => withAccountOptions(c).options({ 'trade-no': { type: 'string' }, currency: { type: 'string' } }),
        act(async (ctx) => {
          const data = await ctx.platform('payments').paymentsList({
            trade_no: ctx.args['trade-no'] as string | undefined,
            currency: ctx.args.currency as string | undefined,
          });
          ctx.table(data.list, PAYMENT_COLUMNS);
        }),
      )
      .command(
        'groups',
        'Payment method groups',
        (c) => withAccountOptions(c),
        act(async (ctx) => {
          const data = await ctx.platform('payments').paymentsGroups({});
          ctx.table(data.list, [
            { header: 'NAME', value: (g) => text(g.name) },
            { header: 'METHODS', value: (g) => text(g.items?.length ?? 0), right: true },
          ]);
        }),
      )
      .command(
        'gift-ratio',
        'Bonus paid on balance recharges',
        (c) => withAccountOptions(c),
        act(async (ctx) => {
          const data = await ctx.platform('payments').giftRatio({});
          ctx.table(data.list, [{ header: 'RATIO', value: (r) => text(r) }]);
        }),
      )
      .demandCommand(1, 'Name a verb: list, groups or gift-ratio');
  },
};
