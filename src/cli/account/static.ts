/**
 * `swivel static …`: static IPs. On the platform: `ip/get-static-ip`, `ip/static-ip-region`,
 * `host-pool/regions` (buying goes through `orders create`). On IPIDEA: `open` and `renew` map onto
 * `static_ip_*` (datacenter) and `isp_ip_*` (ISP); it has no price check, so a summary is shown and
 * confirmation is still needed.
 */
import type { Argv } from 'yargs';
import { SwivelError } from '../../errors.js';
import { ipideaDuration, type IpideaStaticKind } from '../../provider/account/ipidea.js';
import type { Region, StaticIp } from '../../provider/account/types.js';
import { optionalString, type Act, type Noun } from './command.js';
import { paged, withAccountOptions, withPaging, withYes, type AccountContext } from './context.js';
import { STATIC_STATUS, formatDate, productTypeName, text, word, type Column } from './format.js';
import { list, optionalInt, parseCode, parseCountry, parseInteger, parseIp } from './validate.js';

const COLUMNS: ReadonlyArray<Column<StaticIp>> = [
  { header: 'ID', value: (s) => text(s.id), right: true },
  { header: 'IP', value: (s) => (s.port === undefined ? s.ip : `${s.ip}:${s.port}`) },
  { header: 'CC', value: (s) => text(s.country_code) },
  { header: 'PRODUCT', value: (s) => productTypeName(s.product_type) },
  { header: 'STATUS', value: (s) => word(STATIC_STATUS, s.status) },
  { header: 'EXPIRES', value: (s) => formatDate(s.expired_at) },
];

const REGION_COLUMNS: ReadonlyArray<Column<Region>> = [
  { header: 'CODE', value: (r) => r.code },
  { header: 'NAME', value: (r) => r.name_en },
  { header: 'AVAILABLE', value: (r) => text(r.number), right: true },
];

function kindOf(ctx: AccountContext): IpideaStaticKind {
  const kind = String(ctx.args.kind ?? '');
  if (kind !== 'isp' && kind !== 'datacenter')
    throw new SwivelError('config_invalid', `Expected \`--kind\` to be isp or datacenter, got \`${kind}\``);
  return kind;
}

function durationOf(ctx: AccountContext): 'week' | 'month' {
  const d = String(ctx.args.duration ?? '').toLowerCase();
  if (d === 'week' || d === 'weekly') return 'week';
  if (d === 'month' || d === 'monthly') return 'month';
  throw new SwivelError('config_invalid', `Expected \`--duration\` to be week or month, got \`${d}\``);
}

function requireIpidea(ctx: AccountContext, verb: string): void {
  if (ctx.profile.api !== 'ipidea') {
    throw new SwivelError(
      'config_invalid',
      `The ${ctx.profile.name} provider does not serve \`static ${verb}\`; buy or renew static IPs with \`swivel orders create\`.`,
    );
  }
}

export const staticNoun: Noun = {
  name: 'static',
  describe: 'Static IPs: list, regions, host-pool; IPIDEA: open, renew',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'list',
        'Your static IPs',
        (c) =>
          withPaging(withAccountOptions(c)).options({
            cc: { type: 'string', describe: 'Country code' },
            status: { type: 'string', describe: 'valid, invalid, expiring, maintenance or the number' },
            'product-type': { type: 'string', describe: '14 datacenter or 25 residential' },
            'trade-no': { type: 'string', describe: 'Order number' },
          }),
        act(async (ctx) => {
          const a = ctx.args;
          const api = ctx.platform('static');
          const query = {
            country_code: a.cc === undefined ? undefined : parseCountry(a.cc),
            status: a.status === undefined ? undefined : parseCode(a.status, '--status', STATIC_STATUS),
            product_type: optionalInt(a['product-type'], '--product-type'),
            trade_no: optionalString(a['trade-no']),
          };
          const rows = await paged(ctx, async (page, size) => {
            const data = await api.staticList({ ...query, page, size });
            return { items: data.list, totalPages: Number(data.total_page) || 1 };
          });
          ctx.table(rows, COLUMNS);
        }),
      )
      .command(
        'regions',
        'Regions with static IPs for sale, and how many',
        (c) =>
          withAccountOptions(c).options({
            isp: { type: 'string', describe: '0 datacenter (IDC), 1 residential (ISP)' },
            asn: { type: 'string', describe: '1 to return ASN groups' },
            exclusive: { type: 'string', describe: '1 to count exclusive inventory only' },
          }),
        act(async (ctx) => {
          const data = await ctx.platform('static').staticRegions({
            isp: optionalInt(ctx.args.isp, '--isp', 0, 1),
            asn: optionalInt(ctx.args.asn, '--asn', 0, 1),
            exclusive: optionalInt(ctx.args.exclusive, '--exclusive', 0, 1),
          });
          ctx.table(data.list, REGION_COLUMNS);
        }),
      )
      .command(
        'host-pool',
        'Regions of the host_pool service',
        (c) => withAccountOptions(c),
        act(async (ctx) => ctx.table((await ctx.platform('static').hostPoolRegions({})).list, REGION_COLUMNS)),
      )
      .command(
        'open',
        'IPIDEA: buy static IPs (needs --yes)',
        (c) =>
          withYes(withAccountOptions(c)).options({
            kind: { type: 'string', describe: 'isp or datacenter' },
            region: { type: 'string', describe: 'Region, e.g. hk' },
            duration: { type: 'string', describe: 'week or month' },
            num: { type: 'string', describe: 'How many IPs' },
            remark: { type: 'string', describe: 'Remark' },
          }),
        act(async (ctx) => {
          requireIpidea(ctx, 'open');
          const kind = kindOf(ctx);
          const duration = durationOf(ctx);
          const region = String(ctx.args.region ?? '');
          if (!/^[A-Za-z]{2,8}$/.test(region))
            throw new SwivelError('config_invalid', `Expected \`--region\` to be a region code such as hk, got \`${region}\``);
          const num = parseInteger(ctx.args.num, '--num', 1, 10_000);
          ctx.io.err(
            `swivel: about to open ${num} ${kind} IP(s) in ${region} for a ${duration}; IPIDEA has no price check, so no price could be checked`,
          );
          await ctx.confirm('Buy these IPs?');
          const data = await ctx
            .ipidea()
            .open(kind, { region, duration: ipideaDuration(kind, duration), num: String(num), remark: optionalString(ctx.args.remark) });
          ctx.done(`ordered: ${text(data.order_id)}`, data);
        }),
      )
      .command(
        'renew',
        'IPIDEA: renew static IPs (needs --yes)',
        (c) =>
          withYes(withAccountOptions(c)).options({
            kind: { type: 'string', describe: 'isp or datacenter' },
            ips: { type: 'string', describe: 'IPs to renew, comma-separated' },
            duration: { type: 'string', describe: 'week or month' },
            remark: { type: 'string', describe: 'Remark' },
          }),
        act(async (ctx) => {
          requireIpidea(ctx, 'renew');
          const kind = kindOf(ctx);
          const duration = durationOf(ctx);
          const ips = list(ctx.args.ips).map((ip) => parseIp(ip, '--ips'));
          if (ips.length === 0) throw new SwivelError('config_invalid', '`static renew` needs --ips A,B');
          ctx.io.err(
            `swivel: about to renew ${ips.join(', ')} (${kind}) for a ${duration}; IPIDEA has no price check, so no price could be checked`,
          );
          await ctx.confirm('Renew these IPs?');
          const data = await ctx.ipidea().renew(kind, {
            renew_ip_list: ips.join(','),
            duration: ipideaDuration(kind, duration),
            remark: optionalString(ctx.args.remark),
          });
          ctx.done(`ordered: ${text(data.order_id)}`, data);
        }),
      )
      .demandCommand(1, 'Name a verb: list, regions, host-pool, open or renew');
  },
};
