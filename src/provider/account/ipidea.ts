/**
 * IPIDEA's order API (seeds 001) as a typed client: eight `POST /api/open/...` endpoints, multipart
 * form bodies, envelope `{ret, code, msg, ret_data, timestamp}` with success `ret` 0. Its document
 * shows no credential field; the profile names it (see profiles/index.ts) and the user can override.
 */
import type { ProviderProfile } from '../profiles/index.js';
import { callEndpoint, type AccountTransportOptions, type EndpointSpec, type Params } from './http.js';

export type IpideaOrderKind = 'flow' | 'mobile-flow' | 'isp' | 'datacenter';
export type IpideaStaticKind = 'isp' | 'datacenter';

export interface IpideaOrderQuery {
  order_id?: string;
  /** `2022-5-1` in the document. */
  start_time?: string;
  end_time?: string;
  /** 0 unpaid, 1 paid. */
  pay_status?: string;
  page?: string;
  limit?: string;
}

export interface IpideaOrder {
  order_id: string;
  money?: string;
  pay_status: number;
  description?: string;
  created_at?: string;
  pay_time?: number;
  [field: string]: unknown;
}

export interface IpideaPage<T> {
  total: number;
  per_page: string | number;
  current_page: number;
  last_page: number;
  data: T[];
}

export interface IpideaOpen {
  region: string;
  /** `week`/`month` for datacenter, `weekly`/`monthly` for ISP, as each document shows. */
  duration: string;
  num: string;
  remark?: string;
  pool_tag?: string;
}

export interface IpideaRenew {
  renew_ip_list: string;
  duration: string;
  remark?: string;
}

export interface IpideaApi {
  orderList(kind: IpideaOrderKind, query: IpideaOrderQuery): Promise<IpideaPage<IpideaOrder>>;
  open(kind: IpideaStaticKind, body: IpideaOpen): Promise<{ order_id: string }>;
  renew(kind: IpideaStaticKind, body: IpideaRenew): Promise<{ order_id: string }>;
}

function post(path: string, shape: EndpointSpec['shape']): EndpointSpec {
  return { method: 'POST', path, encoding: 'multipart', successCodes: [0], shape };
}

export const IPIDEA_ENDPOINTS = Object.freeze({
  flow_order_list: post('/api/open/flow_order_list', 'ipidea-page'),
  mobile_flow_order_list: post('/api/open/mobile_flow_order_list', 'ipidea-page'),
  isp_order_list: post('/api/open/isp_order_list', 'ipidea-page'),
  datacenter_order_list: post('/api/open/datacenter_order_list', 'ipidea-page'),
  static_ip_open: post('/api/open/static_ip_open', 'object'),
  isp_ip_open: post('/api/open/isp_ip_open', 'object'),
  static_ip_renew: post('/api/open/static_ip_renew', 'object'),
  isp_ip_renew: post('/api/open/isp_ip_renew', 'object'),
});

const ORDER_LISTS: Readonly<Record<IpideaOrderKind, EndpointSpec>> = {
  flow: IPIDEA_ENDPOINTS.flow_order_list,
  'mobile-flow': IPIDEA_ENDPOINTS.mobile_flow_order_list,
  isp: IPIDEA_ENDPOINTS.isp_order_list,
  datacenter: IPIDEA_ENDPOINTS.datacenter_order_list,
};

/** The document spells durations per endpoint: `week` on static_ip_*, `weekly` on isp_ip_*. */
export function ipideaDuration(kind: IpideaStaticKind, duration: 'week' | 'month'): string {
  return kind === 'isp' ? `${duration}ly` : duration;
}

export interface IpideaClientOptions extends Omit<AccountTransportOptions, 'envelope' | 'credentialField'> {
  profile: ProviderProfile;
  credentialField?: string;
}

export function createIpideaClient(opts: IpideaClientOptions): IpideaApi {
  const t: AccountTransportOptions = {
    ...opts,
    envelope: opts.profile.envelope,
    credentialField: opts.credentialField ?? opts.profile.credentialField,
  };
  const call = <R>(spec: EndpointSpec, body: object): Promise<R> => callEndpoint(t, spec, body as Params) as Promise<R>;
  return {
    orderList: (kind, query) => call(ORDER_LISTS[kind], query),
    open: (kind, body) => call(kind === 'isp' ? IPIDEA_ENDPOINTS.isp_ip_open : IPIDEA_ENDPOINTS.static_ip_open, body),
    renew: (kind, body) => call(kind === 'isp' ? IPIDEA_ENDPOINTS.isp_ip_renew : IPIDEA_ENDPOINTS.static_ip_renew, body),
  };
}
