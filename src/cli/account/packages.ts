/** `swivel packages …`: purchased packages (`user-product/list`, also under /pub (003), and `summary`). */
import type { Argv } from 'yargs';
import type { UserProduct } from '../../provider/account/types.js';
import { optionalString, type Act, type Noun } from './command.js';
import { paged, withAccountOptions, withPaging } from './context.js';
import { formatDate, formatKb, productTypeName, type Column } from './format.js';
import { optionalInt } from './validate.js';

const COLUMNS: ReadonlyArray<Column<UserProduct>> = [
  { header: 'ID', value: (p) => String(p.id), right: true },
  { header: 'PRODUCT', value: (p) => productTypeName(p.product_type) },
  { header: 'TITLE', value: (p) => p.order?.title ?? '' },
  { header: 'TRADE NO', value: (p) => p.trade_no },
  { header: 'ACTIVE FROM', value: (p) => formatDate(p.created_at) },
  { header: 'EXPIRES', value: (p) => formatDate(p.expired_at) },
];

const SUMMARY_ROWS: ReadonlyArray<[string, string]> = [
  ['total', 'total_count'],
  ['effective', 'effective_count'],
  ['effective_used', ''],
  ['temporary', 'temporary_count'],
  ['expired', 'expired_count'],
  ['used', ''],
];

export const packagesNoun: Noun = {
  name: 'packages',
  describe: 'Purchased packages: list, summary',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'list',
        'List purchased packages',
        (c) =>
          withPaging(withAccountOptions(c)).options({
            'trade-no': { type: 'string', describe: 'Full order number' },
            'product-type': { type: 'string', describe: 'Package type' },
          }),
        act(async (ctx) => {
          const api = ctx.platform('packages');
          const trade_no = optionalString(ctx.args['trade-no']);
          const product_type = optionalInt(ctx.args['product-type'], '--product-type');
          const rows = await paged(ctx, async (page, size) => {
            const data = await api.packagesList({ trade_no, product_type, page, size });
            return { items: data.list, totalPages: Number(data.total_page) || 1 };
          });
          ctx.table(rows, COLUMNS);
        }),
      )
      .command(
        'summary',
        'Traffic totals of the traffic packages',
        (c) => withAccountOptions(c).option('product-type', { type: 'string', describe: 'Only 9 (dynamic traffic) or 12 (long-term IDC)' }),
        act(async (ctx) => {
          const data = await ctx
            .platform('packages')
            .packagesSummary({ product_type: optionalInt(ctx.args['product-type'], '--product-type') });
          if (ctx.json) {
            ctx.io.out(JSON.stringify(data));
            return;
          }
          const record = data as unknown as Record<string, unknown>;
          const rows = SUMMARY_ROWS.map(([field, count]) => ({
            what: field.replace('_', ' '),
            traffic: formatKb(record[field]),
            count: count === '' ? '' : String(record[count] ?? ''),
          }));
          ctx.table(rows, [
            { header: 'WHAT', value: (r) => r.what },
            { header: 'TRAFFIC', value: (r) => r.traffic, right: true },
            { header: 'PACKAGES', value: (r) => r.count, right: true },
          ]);
        }),
      )
      .demandCommand(1, 'Name a verb: list or summary');
  },
};
