/**
 * `swivel orders …`: `order/list`, `order/check`, `order/create`, `order/close` (and the /pub order
 * API of 000); with `--provider ipidea`, `orders list --kind` maps onto its four order lists.
 * Buying checks the price first where the brand can (`order/check`) and always needs confirmation.
 */
import type { Argv } from 'yargs';
import { SwivelError } from '../../errors.js';
import type { IpideaOrder, IpideaOrderKind } from '../../provider/account/ipidea.js';
import type { Order, OrderCheckResult, OrderRequest } from '../../provider/account/types.js';
import { optionalString, type Act, type Noun } from './command.js';
import { paged, withAccountOptions, withPaging, withYes, type AccountContext } from './context.js';
import { ORDER_STATUS, formatDate, productTypeName, text, word, type Column } from './format.js';
import { optionalInt, parseCode, parseDateTime, parseInteger } from './validate.js';

const COLUMNS: ReadonlyArray<Column<Order>> = [
  { header: 'TRADE NO', value: (o) => o.trade_no },
  { header: 'STATUS', value: (o) => word(ORDER_STATUS, o.status) },
  { header: 'PRODUCT', value: (o) => o.product_name ?? o.title ?? productTypeName(o.product_type) },
  { header: 'PAY', value: (o) => text(o.pay_fee), right: true },
  { header: 'TOTAL', value: (o) => text(o.total_fee), right: true },
  { header: 'CREATED', value: (o) => formatDate(o.created_at) },
];

const IPIDEA_COLUMNS: ReadonlyArray<Column<IpideaOrder>> = [
  { header: 'ORDER ID', value: (o) => text(o.order_id) },
  { header: 'STATUS', value: (o) => (o.pay_status === 1 ? 'paid' : o.pay_status === 0 ? 'unpaid' : text(o.pay_status)) },
  { header: 'MONEY', value: (o) => text(o.money), right: true },
  { header: 'DESCRIPTION', value: (o) => text(o.description) },
  { header: 'CREATED', value: (o) => formatDate(o.created_at) },
];

const IPIDEA_KINDS: readonly IpideaOrderKind[] = ['flow', 'mobile-flow', 'isp', 'datacenter'];

const ORDER_OPTIONS = {
  pid: { type: 'string', describe: 'Package id (from `swivel products list`)' },
  'pm-id': { type: 'string', describe: 'Payment method id (from `swivel payments list`)' },
  amount: { type: 'string', describe: 'Quantity to buy' },
  upids: { type: 'string', describe: 'Packages or static IPs to renew: ids, comma-separated' },
  'region-list': { type: 'string', describe: 'Static IPs per region: "JP,15,333|DE,10" (region,quantity[,ASN])' },
  coupon: { type: 'string', describe: 'Coupon code' },
  'renew-duration': { type: 'string', describe: 'Renewal: 1m, 2m or em (end of next month; check only)' },
  'bandwidth-sku': { type: 'string', describe: 'Package 11: bandwidth specification id' },
  'concurrency-sku': { type: 'string', describe: 'Package 11: concurrency specification id' },
  'duration-sku': { type: 'string', describe: 'Package 11: duration specification id' },
  etd: { type: 'string', describe: 'Duration multiplier (extension_of_time_days)' },
  'recharge-amount': { type: 'string', describe: 'Package 3: amount to recharge' },
} as const;

const RENEW_DURATIONS = ['1m', '2m', 'em'];

/** The ORDER flags as the check endpoint wants them (`renew_duration` as written). */
function orderRequest(ctx: AccountContext): OrderRequest {
  const a = ctx.args;
  if (a.pid === undefined || a['pm-id'] === undefined) throw new SwivelError('config_invalid', 'An order needs --pid and --pm-id');
  const renew = optionalString(a['renew-duration']);
  if (renew !== undefined && !RENEW_DURATIONS.includes(renew)) {
    throw new SwivelError('config_invalid', `Expected \`--renew-duration\` to be 1m, 2m or em, got \`${renew}\``);
  }
  const upids = optionalString(a.upids);
  if (upids !== undefined && !/^\d+(,\d+)*$/.test(upids))
    throw new SwivelError('config_invalid', `Expected \`--upids\` to be ids such as 1,2, got \`${upids}\``);
  const regions = optionalString(a['region-list']);
  if (regions !== undefined && !/^[A-Za-z]{2},\d+(,\d+)?(\|[A-Za-z]{2},\d+(,\d+)?)*$/.test(regions)) {
    throw new SwivelError('config_invalid', `Expected \`--region-list\` to read like "JP,15,333|DE,10", got \`${regions}\``);
  }
  const request: OrderRequest = { pid: parseInteger(a.pid, '--pid', 1), pm_id: parseInteger(a['pm-id'], '--pm-id', 0) };
  const optional: Array<[keyof OrderRequest, string | number | undefined]> = [
    ['amount', optionalInt(a.amount, '--amount', 1)],
    ['upids', upids],
    ['region_list', regions],
    ['coupon_sn', optionalString(a.coupon)],
    ['renew_duration', renew],
    ['product_sku_bandwidth_id', optionalInt(a['bandwidth-sku'], '--bandwidth-sku')],
    ['product_sku_concurrency_id', optionalInt(a['concurrency-sku'], '--concurrency-sku')],
    ['product_sku_duration_id', optionalInt(a['duration-sku'], '--duration-sku')],
    ['etd', optionalInt(a.etd, '--etd', 1)],
    ['recharge_amount', optionalInt(a['recharge-amount'], '--recharge-amount', 1)],
  ];
  for (const [k, v] of optional) if (v !== undefined) (request as unknown as Record<string, unknown>)[k] = v;
  return request;
}

/** `order/create` types `renew_duration` as an integer (months); `em` has no such number. */
function createRequest(check: OrderRequest): OrderRequest {
  if (check.renew_duration === undefined) return check;
  if (check.renew_duration === 'em') {
    throw new SwivelError(
      'config_invalid',
      '`--renew-duration em` (end of next month) exists only on the price check; order/create takes a number of months, so use 1m or 2m',
    );
  }
  return { ...check, renew_duration: Number(String(check.renew_duration).replace('m', '')) };
}

function describeCheck(c: OrderCheckResult): string {
  return `${c.title ?? `package ${c.product_id}`} × ${text(c.amount)}: pay ${text(c.pay_fee)} (total ${text(c.total_fee)}, discount ${text(c.discount_fee)})`;
}

function describeRequest(r: OrderRequest): string {
  return Object.entries(r)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

export const ordersNoun: Noun = {
  name: 'orders',
  describe: 'Orders: list, check, create, cancel',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'list',
        'List orders',
        (c) =>
          withPaging(withAccountOptions(c)).options({
            status: { type: 'string', describe: 'pending, paid, timeout, refunded or the number' },
            'product-type': { type: 'string', describe: 'Product type' },
            'trade-no': { type: 'string', describe: 'Order number' },
            from: { type: 'string', describe: 'Created from: YYYY-MM-DD [HH:MM:SS]' },
            to: { type: 'string', describe: 'Created before: YYYY-MM-DD [HH:MM:SS]' },
            kind: { type: 'string', describe: 'IPIDEA: flow, mobile-flow, isp or datacenter' },
          }),
        act(async (ctx) => (ctx.profile.api === 'ipidea' ? ipideaList(ctx) : platformList(ctx))),
      )
      .command(
        'check',
        'Price an order without buying it (order/check)',
        (c) => withAccountOptions(c).options(ORDER_OPTIONS),
        act(async (ctx) => {
          const request = orderRequest(ctx);
          const api = ctx.platform('orders');
          if (!ctx.profile.priceCheck)
            throw new SwivelError('config_invalid', `The ${ctx.profile.name} provider has no price check (order/check).`);
          const check = await api.ordersCheck(request);
          if (ctx.json) ctx.io.out(JSON.stringify(check));
          else ctx.io.out(describeCheck(check));
        }),
      )
      .command(
        'create',
        'Buy: price check, confirmation (--yes), then order/create',
        (c) => withYes(withAccountOptions(c)).options(ORDER_OPTIONS),
        act(async (ctx) => {
          const check = orderRequest(ctx);
          const create = createRequest(check);
          const api = ctx.platform('orders');
          if (ctx.profile.priceCheck) {
            const price = await api.ordersCheck(check);
            ctx.io.err(`swivel: about to buy ${describeCheck(price)}`);
          } else {
            ctx.io.err(
              `swivel: about to order ${describeRequest(create)}; the ${ctx.profile.name} provider has no price check, so no price could be checked`,
            );
          }
          await ctx.confirm('Create this order?');
          const order = await api.ordersCreate(create);
          if (ctx.json) ctx.io.out(JSON.stringify(order));
          else ctx.table([order], COLUMNS);
        }),
      )
      .command(
        'cancel <tradeNo>',
        'Cancel an unpaid order (order/close; needs --yes)',
        (c) => withYes(withAccountOptions(c)),
        act(async (ctx) => {
          const tradeNo = String(ctx.args.tradeNo);
          if (!/^[A-Za-z0-9_-]{1,64}$/.test(tradeNo))
            throw new SwivelError('config_invalid', `Expected TRADE_NO to be an order number, got \`${tradeNo}\``);
          const api = ctx.platform('orders');
          await ctx.confirm(`Cancel order ${tradeNo}?`);
          await api.ordersClose({ trade_no: tradeNo });
          ctx.done(`cancelled ${tradeNo}`, { cancelled: tradeNo });
        }),
      )
      .demandCommand(1, 'Name a verb: list, check, create or cancel');
  },
};

async function platformList(ctx: AccountContext): Promise<void> {
  const a = ctx.args;
  const api = ctx.platform('orders');
  const query = {
    status: a.status === undefined ? undefined : parseCode(a.status, '--status', ORDER_STATUS),
    product_type: optionalInt(a['product-type'], '--product-type'),
    trade_no: optionalString(a['trade-no']),
    start_time: a.from === undefined ? undefined : parseDateTime(String(a.from), '--from'),
    end_time: a.to === undefined ? undefined : parseDateTime(String(a.to), '--to', true),
  };
  const rows = await paged(ctx, async (page_no, page_size) => {
    const data = await api.ordersList({ ...query, page_no, page_size });
    return { items: data.list, totalPages: Number(data.pagination?.total_pages) || 1 };
  });
  ctx.table(rows, COLUMNS);
}

/** IPIDEA's dates read `2022-5-1` in its document. */
function ipideaDate(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  const [y, m, d] = parseDateTime(String(value), name).slice(0, 10).split('-');
  return `${Number(y)}-${Number(m)}-${Number(d)}`;
}

async function ipideaList(ctx: AccountContext): Promise<void> {
  const a = ctx.args;
  const kind = String(a.kind ?? 'flow') as IpideaOrderKind;
  if (!IPIDEA_KINDS.includes(kind))
    throw new SwivelError('config_invalid', `Expected \`--kind\` to be one of ${IPIDEA_KINDS.join(', ')}, got \`${kind}\``);
  const status = a.status === undefined ? undefined : parseCode(a.status, '--status', ['unpaid', 'paid']);
  const query = {
    order_id: optionalString(a['trade-no']),
    start_time: ipideaDate(a.from, '--from'),
    end_time: ipideaDate(a.to, '--to'),
    pay_status: status === undefined ? undefined : String(status),
  };
  const api = ctx.ipidea();
  const rows = await paged(ctx, async (page, size) => {
    const data = await api.orderList(kind, { ...query, page: String(page), limit: size === undefined ? undefined : String(size) });
    return { items: data.data, totalPages: Number(data.last_page) || 1 };
  });
  ctx.table(rows, IPIDEA_COLUMNS);
}
