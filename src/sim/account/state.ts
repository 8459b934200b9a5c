/**
 * The simulated account's state: proxy accounts, allowlist, usage days, packages, static IPs, orders,
 * products and payment methods, seeded so every list has something (and the paged ones more than a
 * page). Mutations behave: an added account is listed, a deleted one is gone, orders change status.
 */

export interface SimProxyAccount {
  id: number;
  username: string;
  password: string;
  created_at: string;
  remark: string;
  product_type: number;
  usage_flow: number;
  limit_flow: number;
  daily_limit: number;
  status: number;
  udp: number;
}

export interface SimOrder {
  id: number;
  trade_no: string;
  product_id: number;
  product_name: string;
  product_type: number;
  amount: number;
  total_fee: number;
  pay_fee: number;
  status: number;
  created_at: string;
  renew_duration?: number;
}

export interface SimIpideaOrder {
  order_id: string;
  money: string;
  pay_status: number;
  description: string;
  created_at: string;
}

export const SIM_PRODUCTS = [
  { id: 101, title: 'Residential 10 GB', type: 9, status: 1, price: 210, usd_price: 30, time_days: 30, flow_value: 10 },
  { id: 102, title: 'Datacenter static IP', type: 14, status: 1, price: 21, usd_price: 3, time_days: 30 },
  { id: 103, title: 'Residential static IP', type: 25, status: 1, price: 35, usd_price: 5, time_days: 30 },
];

export const SIM_GEO: ReadonlyArray<{ cc: string; name: string; continent: string; states: Record<string, string[]> }> = [
  { cc: 'US', name: 'United States', continent: 'NA', states: { California: ['Los Angeles', 'San Jose'], 'New York': ['New York'] } },
  { cc: 'DE', name: 'Germany', continent: 'EU', states: { Berlin: ['Berlin'], Bavaria: ['Munich'] } },
  { cc: 'GB', name: 'United Kingdom', continent: 'EU', states: { England: ['London', 'Manchester'] } },
];

function ymd(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export class AccountState {
  accounts: SimProxyAccount[] = [];
  allowlist: Array<{ ip: string; remark: string; product_type: number; created_at: string }> = [];
  packages: Array<{
    id: number;
    created_at: string;
    expired_at: string;
    product_type: number;
    trade_no: string;
    order: { title: string };
  }> = [];
  staticIps: Array<{
    id: number;
    ip: string;
    port: number;
    country_code: string;
    product_type: number;
    status: number;
    expired_at: string;
  }> = [];
  orders: SimOrder[] = [];
  ipideaOrders: Record<string, SimIpideaOrder[]> = { flow: [], 'mobile-flow': [], isp: [], datacenter: [] };
  /** Usage per day (YYYY-MM-DD → KB), the last 7 days. */
  usage = new Map<string, number>();
  private nextId = 1000;

  constructor(now: Date = new Date()) {
    this.accounts.push({
      id: 1,
      username: 'scraper1',
      password: 'Secret1pw',
      created_at: '2026-11-20 10:00:00',
      remark: 'demo',
      product_type: 9,
      usage_flow: 1_258_291,
      limit_flow: 100,
      daily_limit: 0,
      status: 1,
      udp: 0,
    });
    this.allowlist.push({ ip: '203.0.113.7', remark: 'office', product_type: 9, created_at: '2026-11-21 09:30:00' });
    for (let i = 6; i >= 0; i--) this.usage.set(ymd(new Date(now.getTime() - i * 86_400_000)), (i + 1) * 153_600);
    for (let i = 1; i <= 45; i++) {
      this.packages.push({
        id: i,
        created_at: '2026-11-01 12:00:00',
        expired_at: '2026-12-31 12:00:00',
        product_type: i % 3 === 0 ? 14 : 9,
        trade_no: `T2026110100${String(i).padStart(2, '0')}`,
        order: { title: i % 3 === 0 ? 'Datacenter static IP' : 'Residential 10 GB' },
      });
    }
    for (let i = 1; i <= 25; i++) {
      this.staticIps.push({
        id: i,
        ip: `198.51.100.${i}`,
        port: 8000 + i,
        country_code: i % 2 === 0 ? 'DE' : 'US',
        product_type: i % 2 === 0 ? 14 : 25,
        status: (i % 4) + 1,
        expired_at: '2026-12-31T00:00:00Z',
      });
    }
    this.orders.push(
      this.order(101, 1, 1, '2026-11-01T12:00:00Z'),
      this.order(102, 2, 0, '2026-11-25T08:00:00Z'),
      this.order(103, 1, 3, '2026-10-02T16:30:00Z'),
    );
    this.ipideaOrders.flow?.push({
      order_id: '2205211052185894',
      money: '0.01',
      pay_status: 1,
      description: 'HTTP traffic 30000M',
      created_at: '1653101538',
    });
  }

  newId(): number {
    return this.nextId++;
  }

  order(pid: number, amount: number, status = 0, createdAt = new Date().toISOString()): SimOrder {
    const product = SIM_PRODUCTS.find((p) => p.id === pid) ?? SIM_PRODUCTS[0]!;
    const fee = product.usd_price * amount;
    const id = this.newId();
    return {
      id,
      trade_no: `SO${id}`,
      product_id: product.id,
      product_name: product.title,
      product_type: product.type,
      amount,
      total_fee: fee,
      pay_fee: fee,
      status,
      created_at: createdAt,
    };
  }
}
