/**
 * The platform's account API as one typed client: one method per endpoint of the BestProxy OpenAPI
 * document (002) and the `/pub` documents (000, 003), which share relative paths under each brand's
 * prefix. The table below is the single place that says method, path, encoding, success code and
 * answer shape; the methods are generated from it.
 */
import { SwivelError } from '../../errors.js';
import type { Family, ProviderProfile } from '../profiles/index.js';
import { callEndpoint, type AccountTransportOptions, type EndpointSpec, type Params } from './http.js';
import type {
  AllowlistEntry,
  GeoCityItem,
  GeoCountry,
  GeoL4Entry,
  GeoStateItem,
  Order,
  OrderCheckResult,
  OrderList,
  OrderRequest,
  PagedList,
  PaymentGroup,
  PaymentMethod,
  Product,
  ProductSummary,
  ProxyAccount,
  Region,
  StaticIp,
  UsageDay,
  UserProduct,
} from './types.js';

type List<T> = { list: T[] };
type Call<Q, R> = (query: Q) => Promise<R>;

export interface PlatformApi {
  accountsList: Call<{ product_type?: number }, List<ProxyAccount>>;
  accountsAdd: Call<{ accounts: string; remark?: string; product_type?: number }, unknown>;
  accountsDelete: Call<{ accounts: string }, unknown>;
  accountsEnable: Call<{ accounts: string }, unknown>;
  accountsDisable: Call<{ accounts: string }, unknown>;
  accountsChangePassword: Call<{ account: string; password: string }, unknown>;
  accountsChangeRemark: Call<{ account: string; remark: string }, unknown>;
  accountsChangeLimit: Call<{ account: string; limit: number }, unknown>;
  accountsChange: Call<
    { account: string; password?: string; remark?: string; limit?: number; daily_limit?: number; status?: number; udp?: number },
    unknown
  >;
  allowlistList: Call<{ product_type?: number }, List<AllowlistEntry>>;
  allowlistAdd: Call<{ ips: string; remark?: string; product_type?: number; user_product_id?: number }, unknown>;
  allowlistDelete: Call<{ ips: string; verify_type?: string; verify_code?: string }, unknown>;
  usageTotal: Call<{ start_time?: string; end_time?: string; username?: string; product_type?: number }, List<UsageDay>>;
  packagesList: Call<{ trade_no?: string; page?: number; size?: number; product_type?: number }, PagedList<UserProduct>>;
  packagesSummary: Call<{ product_type?: number }, ProductSummary>;
  geoCities: Call<Record<string, never>, List<GeoCountry<GeoCityItem>>>;
  geoCitiesSearch: Call<{ country_code: string; state: string }, List<GeoCityItem>>;
  geoStates: Call<Record<string, never>, List<GeoCountry<GeoStateItem>>>;
  geoStatesSearch: Call<{ country_code: string }, List<GeoStateItem>>;
  geoAccountCities: Call<{ username: string }, List<GeoL4Entry> & { cache?: boolean }>;
  geoAccountStates: Call<{ username: string }, List<GeoL4Entry> & { cache?: boolean }>;
  geoAccountAll: Call<{ username: string }, List<GeoL4Entry> & { cache?: boolean }>;
  staticList: Call<
    { country_code?: string; product_type?: number; trade_no?: string; page?: number; size?: number; status?: number },
    PagedList<StaticIp>
  >;
  staticRegions: Call<{ isp?: number; asn?: number; exclusive?: number }, List<Region>>;
  hostPoolRegions: Call<Record<string, never>, List<Region>>;
  ordersList: Call<
    {
      page_no?: number;
      page_size?: number;
      trade_no?: string;
      start_time?: string;
      end_time?: string;
      status?: number;
      product_type?: number;
    },
    OrderList
  >;
  ordersCheck: Call<OrderRequest, OrderCheckResult>;
  ordersCreate: Call<OrderRequest, Order>;
  ordersClose: Call<{ trade_no: string }, unknown>;
  products: Call<{ type?: number }, Product[]>;
  paymentsList: Call<{ trade_no?: string; currency?: string }, List<PaymentMethod>>;
  paymentsGroups: Call<{ trade_no?: string }, List<PaymentGroup>>;
  giftRatio: Call<Record<string, never>, List<unknown>>;
}

export type PlatformEndpoint = keyof PlatformApi;

interface PlatformSpec extends EndpointSpec {
  readonly family: Family;
}

/** Most endpoints succeed with 200; the order, payment, product and marketing ones with 0 (002, "Response format"). */
const OK = [200] as const;
const OK0 = [0] as const;

function get(family: Family, path: string, shape: EndpointSpec['shape'], successCodes: readonly number[] = OK): PlatformSpec {
  return { family, method: 'GET', path, encoding: 'query', successCodes, shape };
}
function post(family: Family, path: string, shape: EndpointSpec['shape'] = 'any', successCodes: readonly number[] = OK): PlatformSpec {
  // The document's POST examples are JSON bodies carrying app_key.
  return { family, method: 'POST', path, encoding: 'json', successCodes, shape };
}

export const PLATFORM_ENDPOINTS: { readonly [K in PlatformEndpoint]: PlatformSpec } = Object.freeze({
  accountsList: get('accounts', '/whitelist-account/list', 'list'),
  accountsAdd: post('accounts', '/whitelist-account/add'),
  accountsDelete: post('accounts', '/whitelist-account/delete'),
  accountsEnable: post('accounts', '/whitelist-account/enable'),
  accountsDisable: post('accounts', '/whitelist-account/disable'),
  accountsChangePassword: post('accounts', '/whitelist-account/change-password'),
  accountsChangeRemark: post('accounts', '/whitelist-account/change-remark'),
  accountsChangeLimit: post('accounts', '/whitelist-account/change-limit'),
  accountsChange: post('accounts', '/proxy-account/change'),
  allowlistList: get('allowlist', '/proxy-ip/list', 'list'),
  allowlistAdd: post('allowlist', '/proxy-ip/add'),
  allowlistDelete: post('allowlist', '/proxy-ip/delete'),
  usageTotal: get('usage', '/user-usage-flow/total', 'list'),
  packagesList: get('packages', '/user-product/list', 'list'),
  packagesSummary: get('packages', '/user-product/summary', 'object'),
  geoCities: get('geo', '/ip/dynamic-citys', 'list'),
  geoCitiesSearch: get('geo', '/ip/dynamic-citys/search', 'list'),
  geoStates: get('geo', '/ip/dynamic-states', 'list'),
  geoStatesSearch: get('geo', '/ip/dynamic-states/search', 'list'),
  geoAccountCities: get('geo', '/ip/dcl4', 'list'),
  geoAccountStates: get('geo', '/ip/dsl4', 'list'),
  geoAccountAll: get('geo', '/ip/dal4', 'list'),
  staticList: get('static', '/ip/get-static-ip', 'list'),
  staticRegions: get('static', '/ip/static-ip-region', 'list'),
  hostPoolRegions: get('static', '/host-pool/regions', 'list'),
  ordersList: get('orders', '/order/list', 'list', OK0),
  ordersCheck: post('orders', '/order/check', 'object', OK0),
  ordersCreate: post('orders', '/order/create', 'object', OK0),
  ordersClose: post('orders', '/order/close', 'any', OK0),
  products: get('products', '/product', 'array', OK0),
  paymentsList: get('payments', '/payment/list', 'list', OK0),
  paymentsGroups: get('payments', '/payment/groups', 'list', OK0),
  giftRatio: get('payments', '/activity/balance-recharge-gift-ratio', 'list', OK0),
});

export interface PlatformClientOptions extends Omit<AccountTransportOptions, 'envelope' | 'credentialField'> {
  profile: ProviderProfile;
  /** Overrides the profile's credential field name. */
  credentialField?: string;
}

export function createPlatformClient(opts: PlatformClientOptions): PlatformApi {
  const transport: AccountTransportOptions = {
    ...opts,
    envelope: opts.profile.envelope,
    credentialField: opts.credentialField ?? opts.profile.credentialField,
  };
  const client: Record<string, (query: Params) => Promise<unknown>> = {};
  for (const [name, spec] of Object.entries(PLATFORM_ENDPOINTS)) {
    client[name] = (query) => {
      if (!opts.profile.families.includes(spec.family)) {
        return Promise.reject(
          new SwivelError('config_invalid', `The ${opts.profile.name} provider does not serve ${spec.family} (${spec.path}).`),
        );
      }
      return callEndpoint(transport, spec, query ?? {});
    };
  }
  return client as unknown as PlatformApi;
}
