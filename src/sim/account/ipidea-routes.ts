/** IPIDEA's eight `/api/open/*` order endpoints (001) over the sim's state. */
import type { AccountState } from './state.js';
import { page, type Handler } from './routes-util.js';

export function ipideaRoutes(state: AccountState): Record<string, Handler> {
  const list =
    (kind: string): Handler =>
    (f) => {
      const all = (state.ipideaOrders[kind] ?? []).filter((o) => f.pay_status === undefined || o.pay_status === Number(f.pay_status));
      const pg = page(all, f.page, f.limit, 15);
      return {
        code: 0,
        data: { total: all.length, per_page: String(pg.size), current_page: pg.page, last_page: pg.pages, data: pg.slice },
      };
    };
  const buy =
    (kind: string, durations: readonly string[], renew: boolean): Handler =>
    (f) => {
      if (!durations.includes(String(f.duration))) return { code: 1, msg: `duration must be ${durations.join(' or ')}`, data: null };
      const order_id = String(2309200344533229 + state.newId());
      const what = renew ? `renew ${String(f.renew_ip_list)}` : `open ${String(f.num)} in ${String(f.region)}`;
      state.ipideaOrders[kind]?.push({
        order_id,
        money: '1.00',
        pay_status: 0,
        description: `${kind} ${what} for ${String(f.duration)}`,
        created_at: String(Math.floor(Date.now() / 1000)),
      });
      return { code: 0, msg: '添加成功!', data: { order_id } };
    };
  return {
    '/api/open/flow_order_list': list('flow'),
    '/api/open/mobile_flow_order_list': list('mobile-flow'),
    '/api/open/isp_order_list': list('isp'),
    '/api/open/datacenter_order_list': list('datacenter'),
    '/api/open/static_ip_open': buy('datacenter', ['week', 'month'], false),
    '/api/open/isp_ip_open': buy('isp', ['weekly', 'monthly'], false),
    '/api/open/static_ip_renew': buy('datacenter', ['week', 'month'], true),
    '/api/open/isp_ip_renew': buy('isp', ['weekly', 'monthly'], true),
  };
}
