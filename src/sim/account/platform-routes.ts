/** The platform's account endpoints (002, 000, 003), relative to the brand prefix, over the sim's state. */
import { SIM_GEO, SIM_PRODUCTS, type AccountState } from './state.js';
import { names, ok, ok0, page, refuse, type Fields, type Handler } from './routes-util.js';

export function platformRoutes(state: AccountState): Record<string, Handler> {
  const find = (name: unknown) => state.accounts.find((a) => a.username === name);
  const each = (f: Fields, fn: (a: NonNullable<ReturnType<typeof find>>) => void) => {
    for (const name of names(f.accounts)) {
      const account = find(name);
      if (account !== undefined) fn(account);
    }
    return ok();
  };
  const geoList = (withCities: boolean) =>
    SIM_GEO.map((c) => ({
      name_zh_cn: c.name,
      name_en: c.name,
      continent_code: c.continent,
      country_code: c.cc,
      items: Object.entries(c.states).flatMap(([st, cities]) =>
        withCities
          ? cities.map((city) => ({ city, state: st, continent_code: c.continent, country_code: c.cc }))
          : [{ state: st, continent_code: c.continent, country_code: c.cc }],
      ),
    }));
  const l4 = (f: Fields, level: 'city' | 'state' | 'all') => {
    if (find(f.username) === undefined) return refuse(400, 'proxy account not found');
    const list = SIM_GEO.flatMap((c) =>
      Object.entries(c.states).flatMap(([st, cities]) =>
        level === 'state' ? [{ Area: c.cc, State: st }] : cities.map((City) => ({ Area: c.cc, State: st, City })),
      ),
    );
    return ok({ cache: true, list });
  };
  const regions = [
    { code: 'US', number: 55, name_zh_cn: 'United States', name_en: 'United States' },
    { code: 'DE', number: 12, name_zh_cn: 'Germany', name_en: 'Germany' },
  ];
  const priced = (f: Fields) => {
    const product = SIM_PRODUCTS.find((p) => p.id === Number(f.pid));
    if (product === undefined) return undefined;
    const amount = Number(f.amount ?? 1) || 1;
    return { product, amount, fee: product.usd_price * amount };
  };
  return {
    'GET /whitelist-account/list': (f) =>
      ok({ list: state.accounts.filter((a) => f.product_type === undefined || a.product_type === Number(f.product_type)) }),
    'POST /whitelist-account/add': (f) => {
      for (const pair of names(f.accounts)) {
        const [username = '', password = ''] = pair.split(':');
        if (!/^[A-Za-z0-9]+$/.test(username) || !/^[A-Za-z0-9]+$/.test(password)) return refuse(400, `bad account ${username}`);
        if (find(username) !== undefined) return refuse(400, `account ${username} exists`);
        state.accounts.push({
          id: state.newId(),
          username,
          password,
          created_at: '2026-12-01 00:00:00',
          remark: String(f.remark ?? ''),
          product_type: Number(f.product_type ?? 9),
          usage_flow: 0,
          limit_flow: 0,
          daily_limit: 0,
          status: 1,
          udp: 0,
        });
      }
      return ok();
    },
    'POST /whitelist-account/delete': (f) => {
      const gone = new Set(names(f.accounts));
      state.accounts = state.accounts.filter((a) => !gone.has(a.username));
      return ok();
    },
    'POST /whitelist-account/enable': (f) => each(f, (a) => (a.status = 1)),
    'POST /whitelist-account/disable': (f) => each(f, (a) => (a.status = 0)),
    'POST /whitelist-account/change-password': (f) => each({ accounts: f.account }, (a) => (a.password = String(f.password))),
    'POST /whitelist-account/change-remark': (f) => each({ accounts: f.account }, (a) => (a.remark = String(f.remark))),
    'POST /whitelist-account/change-limit': (f) => each({ accounts: f.account }, (a) => (a.limit_flow = Number(f.limit))),
    'POST /proxy-account/change': (f) => {
      const a = find(f.account);
      if (a === undefined) return refuse(400, 'proxy account not found');
      if (f.password !== undefined) a.password = String(f.password);
      if (f.remark !== undefined) a.remark = String(f.remark);
      if (f.limit !== undefined) a.limit_flow = Number(f.limit);
      if (f.daily_limit !== undefined) a.daily_limit = Number(f.daily_limit);
      if (f.status !== undefined) a.status = Number(f.status);
      if (f.udp !== undefined) a.udp = Number(f.udp);
      return ok();
    },
    'GET /proxy-ip/list': () => ok({ list: state.allowlist }),
    'POST /proxy-ip/add': (f) => {
      for (const ip of names(f.ips))
        if (!state.allowlist.some((e) => e.ip === ip))
          state.allowlist.push({
            ip,
            remark: String(f.remark ?? ''),
            product_type: Number(f.product_type ?? 0),
            created_at: '2026-12-01 00:00:00',
          });
      return ok();
    },
    'POST /proxy-ip/delete': (f) => {
      const gone = new Set(names(f.ips));
      state.allowlist = state.allowlist.filter((e) => !gone.has(e.ip));
      return ok();
    },
    'GET /user-usage-flow/total': (f) => {
      const from = String(f.start_time ?? '').slice(0, 10);
      const to = String(f.end_time ?? '9999').slice(0, 10);
      return ok({ list: [...state.usage].filter(([day]) => day >= from && day <= to).map(([day, flow]) => ({ day, flow })) });
    },
    'GET /user-product/list': (f) => {
      const all = state.packages.filter(
        (p) =>
          (f.trade_no === undefined || p.trade_no === f.trade_no) &&
          (f.product_type === undefined || p.product_type === Number(f.product_type)),
      );
      const pg = page(all, f.page, f.size, 20);
      return ok({ list: pg.slice, page: pg.page, page_size: pg.size, total_count: all.length, total_page: pg.pages });
    },
    'GET /user-product/summary': () =>
      ok({
        total: 10_485_760,
        total_count: 5,
        effective: 5_242_880,
        effective_count: 3,
        effective_total: 7_864_320,
        effective_used: 2_621_440,
        temporary: 1_048_576,
        temporary_count: 1,
        expired: 512_000,
        expired_count: 1,
        used: 4_730_880,
      }),
    'GET /ip/dynamic-citys': () => ok({ list: geoList(true) }),
    'GET /ip/dynamic-states': () => ok({ list: geoList(false) }),
    'GET /ip/dynamic-citys/search': (f) =>
      ok({
        list: geoList(true)
          .filter((c) => c.country_code === String(f.country_code).toUpperCase())
          .flatMap((c) => c.items.filter((i) => 'city' in i && i.state === f.state)),
      }),
    'GET /ip/dynamic-states/search': (f) =>
      ok({
        list: geoList(false)
          .filter((c) => c.country_code === String(f.country_code).toUpperCase())
          .flatMap((c) => c.items),
      }),
    'GET /ip/dcl4': (f) => l4(f, 'city'),
    'GET /ip/dsl4': (f) => l4(f, 'state'),
    'GET /ip/dal4': (f) => l4(f, 'all'),
    'GET /ip/get-static-ip': (f) => {
      const all = state.staticIps.filter(
        (s) =>
          (f.status === undefined || s.status === Number(f.status)) && (f.country_code === undefined || s.country_code === f.country_code),
      );
      const pg = page(all, f.page, f.size, 20);
      return ok({ list: pg.slice, page: pg.page, page_size: pg.size, total_count: all.length, total_page: pg.pages });
    },
    'GET /ip/static-ip-region': () => ok({ list: regions }),
    'GET /host-pool/regions': () => ok({ list: regions.slice(0, 1) }),
    'GET /order/list': (f) => {
      const all = state.orders.filter((o) => f.status === undefined || o.status === Number(f.status));
      const pg = page(all, f.page_no, f.page_size, 20);
      return ok0({ list: pg.slice, pagination: { total: all.length, page_no: pg.page, page_size: pg.size, total_pages: pg.pages } });
    },
    'POST /order/check': (f) => {
      const p = priced(f);
      if (p === undefined) return refuse(404, 'package not found');
      return ok0({
        product_id: p.product.id,
        amount: p.amount,
        discount_fee: 0,
        total_fee: p.fee,
        pay_fee: p.fee,
        product_type: p.product.type,
        title: p.product.title,
      });
    },
    'POST /order/create': (f) => {
      const p = priced(f);
      if (p === undefined) return refuse(404, 'package not found');
      if (f.renew_duration !== undefined && typeof f.renew_duration !== 'number') return refuse(422, 'renew_duration must be an integer');
      const order = state.order(p.product.id, p.amount);
      if (typeof f.renew_duration === 'number') order.renew_duration = f.renew_duration;
      state.orders.push(order);
      return ok0(order);
    },
    'POST /order/close': (f) => {
      const order = state.orders.find((o) => o.trade_no === f.trade_no);
      if (order === undefined) return refuse(404, 'order not found');
      if (order.status !== 0) return refuse(400, 'only unpaid orders can be cancelled');
      order.status = 2;
      return ok0({});
    },
    'GET /product': (f) => ok0(SIM_PRODUCTS.filter((p) => f.type === undefined || p.type === Number(f.type))),
    'GET /payment/list': () =>
      ok0({
        list: [
          { id: 1, title: 'Balance', group: 'balance', handling_rate: 0, handling_fee: 0, disabled: false, min: 0, max: 0 },
          { id: 2, title: 'Card', group: 'online', handling_rate: 0.03, handling_fee: 0, disabled: false, min: 1, max: 5000 },
        ],
      }),
    'GET /payment/groups': () =>
      ok0({
        list: [
          { name: 'balance', logos: [], items: [1] },
          { name: 'online', logos: [], items: [2] },
        ],
      }),
    'GET /activity/balance-recharge-gift-ratio': () => ok0({ list: [{ amount: 100, ratio: 0.05 }] }),
  };
}
