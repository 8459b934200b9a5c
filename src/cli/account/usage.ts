/** `swivel usage`: traffic per day (`user-usage-flow/total`), with a bar chart on a terminal. */
import type { Argv } from 'yargs';
import type { UsageDay } from '../../provider/account/types.js';
import { optionalString, type Act } from './command.js';
import { withAccountOptions } from './context.js';
import { barChart, formatKb, type Column } from './format.js';
import { formatYmdHis, optionalInt, parseDateTime, parseUser } from './validate.js';

/** The provider keeps 7 days of usage records (002, `start_time`). */
export const USAGE_DEFAULT_DAYS = 7;

const COLUMNS: ReadonlyArray<Column<UsageDay>> = [
  { header: 'DAY', value: (d) => d.day },
  { header: 'TRAFFIC', value: (d) => formatKb(d.flow), right: true },
];

export function usageBuilder(y: Argv): Argv {
  return withAccountOptions(y).options({
    from: { type: 'string', describe: 'Start: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (default 7 days ago)' },
    to: { type: 'string', describe: 'End: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (default now)' },
    user: { type: 'string', describe: 'Only this proxy account' },
    'product-type': { type: 'string', describe: 'Package type' },
  });
}

export function usageHandler(act: Act): ReturnType<Act> {
  return act(async (ctx) => {
    const a = ctx.args;
    const now = new Date();
    const from =
      a.from === undefined
        ? formatYmdHis(new Date(now.getTime() - USAGE_DEFAULT_DAYS * 86_400_000))
        : parseDateTime(String(a.from), '--from');
    const to = a.to === undefined ? formatYmdHis(now) : parseDateTime(String(a.to), '--to', true);
    const user = optionalString(a.user);
    const data = await ctx.platform('usage').usageTotal({
      start_time: from,
      end_time: to,
      username: user === undefined ? undefined : parseUser(user, '--user'),
      product_type: optionalInt(a['product-type'], '--product-type'),
    });
    const totalKb = data.list.reduce((sum, d) => sum + (typeof d.flow === 'number' ? d.flow : 0), 0);
    if (ctx.json) {
      ctx.io.out(JSON.stringify({ from, to, total_kb: totalKb, list: data.list }));
      return;
    }
    if (ctx.io.isTTY) {
      for (const line of barChart(data.list.map((d) => ({ label: d.day, value: d.flow, shown: formatKb(d.flow) })))) ctx.io.out(line);
    } else {
      ctx.table(data.list, COLUMNS);
    }
    ctx.io.out(`total${ctx.io.isTTY ? ' ' : '\t'}${formatKb(totalKb)}`);
  });
}
