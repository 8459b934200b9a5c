/**
 * Request and response types of the platform's account API, written from the BestProxy OpenAPI
 * document (seeds 002, prefix `/gateway`) and the `/pub` order and package documents (000, 003).
 * Fields are optional where the document marks them so; traffic is in KB, limits in GB.
 */

/** 9 dynamic residential traffic, 11 dynamic residential IP, 14 static datacenter IP, 25 static residential IP, … */
export type ProductType = number;

export interface ProxyAccount {
  id: number;
  username: string;
  password?: string;
  created_at: string;
  remark: string;
  product_type: ProductType;
  /** KB. */
  usage_flow: number;
  /** GB; 0 means no limit. */
  limit_flow: number;
  /** 1 enabled, 0 disabled. */
  status: number;
}

export interface AllowlistEntry {
  ip: string;
  remark: string;
  product_type: number;
  created_at: string;
}

export interface UsageDay {
  day: string;
  /** KB. */
  flow: number;
}

export interface UserProduct {
  id: number;
  created_at: string;
  expired_at: string;
  product_type: ProductType;
  trade_no: string;
  order?: { created_at?: string; pay_at?: string; title?: string };
}

/** `user-product/list` (and `get-static-ip`, assumed the same since its document shows `{}`). */
export interface PagedList<T> {
  list: T[];
  page: number;
  page_size: number;
  total_count: number;
  total_page: number;
}

export interface ProductSummary {
  total: number;
  total_count: number;
  effective: number;
  effective_count: number;
  effective_total: number;
  effective_used: number;
  temporary: number;
  temporary_count: number;
  expired: number;
  expired_count: number;
  used: number;
}

export interface GeoCountry<Item> {
  name_zh_cn: string;
  name_en: string;
  continent_code: string;
  country_code: string;
  items: Item[];
}
export interface GeoCityItem {
  city: string | null;
  state: string | null;
  continent_code: string | null;
  country_code: string | null;
}
export type GeoStateItem = Omit<GeoCityItem, 'city'>;
/** `ip/dcl4`, `dsl4`, `dal4`: per proxy account. */
export interface GeoL4Entry {
  City?: string;
  Area?: string;
  State?: string;
}

export interface StaticIp {
  id: number;
  ip: string;
  port?: number;
  country_code?: string;
  product_type?: number;
  /** 1 valid, 2 invalid, 3 about to expire, 4 under maintenance. */
  status: number;
  expired_at?: string;
  trade_no?: string;
}

export interface Region {
  code: string;
  number: number;
  name_zh_cn?: string;
  name_en: string;
  square_flag?: string;
}

export interface Order {
  id: number;
  trade_no: string;
  product_id: number;
  product_name?: string;
  product_type?: number;
  title?: string;
  amount?: number;
  total_fee: number;
  pay_fee: number;
  /** 0 pending payment, 1 paid, 2 cancelled (payment timeout), 3 refunded. */
  status: number;
  created_at: string;
}

export interface Pagination {
  total: number;
  page_no: number;
  page_size: number;
  total_pages: number;
}

export interface OrderList {
  list: Order[];
  pagination: Pagination;
}

/** Body of `order/check` and `order/create`; `renew_duration` is `1m|2m|em` on check, months on create. */
export interface OrderRequest {
  pid: number;
  pm_id: number;
  upids?: string;
  amount?: number;
  region_list?: string;
  coupon_sn?: string;
  renew_duration?: string | number;
  product_sku_bandwidth_id?: number;
  product_sku_concurrency_id?: number;
  product_sku_duration_id?: number;
  etd?: number;
  recharge_amount?: number;
}

export interface OrderCheckResult {
  product_id: number;
  amount: number;
  discount_fee: number;
  total_fee: number;
  pay_fee: number;
  product_type: number;
  title: string;
  detail?: string;
  ip_result?: Array<{ ip: string; price: number; country_code: string; renewal_time: string }>;
}

export interface Product {
  id: number;
  title: string;
  type: number;
  status: number;
  price: number;
  usd_price: number;
  time_days?: number;
  flow_value?: number;
}

export interface PaymentMethod {
  id: number;
  title: string;
  group?: string;
  handling_rate?: number;
  handling_fee?: number;
  disabled?: boolean;
  min?: number;
  max?: number;
}

export interface PaymentGroup {
  name: string;
  logos?: unknown[];
  items?: unknown[];
}
