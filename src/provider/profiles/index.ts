/**
 * Provider profiles: where a brand's API lives (base URL, path prefix), how it wraps answers, which
 * codes mean success, what its credential parameter is called, and which endpoint families it serves.
 *
 * The platform is white-label (seeds/README.md): the same API under `/gateway` (BestProxy), `/cgi`
 * (proxy4free), `/end-point` (ProxyLite), `/openapi` and `/pub`. Only proxy4free and ProxyLite document
 * their base; the others need `--api-base`. `/pub` documents the order API (000) and the package list
 * (003); the rest is assumed at the same relative paths. IPIDEA is a different provider (001).
 */
import { SwivelError } from '../../errors.js';
import { ipideaEnvelope, platformEnvelope, type Envelope } from './envelope.js';

export type { Envelope } from './envelope.js';
export { ipideaEnvelope, platformEnvelope } from './envelope.js';

export type Family = 'extract' | 'accounts' | 'allowlist' | 'usage' | 'packages' | 'geo' | 'static' | 'orders' | 'products' | 'payments';

export const PLATFORM_FAMILIES: readonly Family[] = Object.freeze([
  'extract',
  'accounts',
  'allowlist',
  'usage',
  'packages',
  'geo',
  'static',
  'orders',
  'products',
  'payments',
]);

export interface ProviderProfile {
  readonly name: string;
  /** Which client speaks to it. */
  readonly api: 'platform' | 'ipidea';
  /** Documented origin, or undefined when the brand's document leaves it blank. */
  readonly baseUrl: string | undefined;
  /** Path prefix in front of every endpoint path. */
  readonly prefix: string;
  readonly envelope: Envelope;
  /** Name of the credential parameter (query for GET, body field for POST). */
  readonly credentialField: string;
  readonly families: readonly Family[];
  /** False where the brand has no price check (`order/check`): buying then shows a summary only. */
  readonly priceCheck: boolean;
  /**
   * How a proxy account is changed: `combined` is `proxy-account/change` (002); `single-field` uses
   * `whitelist-account/change-password`, `change-remark` and `change-limit`, for brands without it.
   */
  readonly accountChange: 'combined' | 'single-field';
}

/** Account API failures the provider explains are the user's to fix (exit 2); see exit-codes.ts. */
const PLATFORM = platformEnvelope({ refused: 'provider_refused' });
const IPIDEA = ipideaEnvelope({ refused: 'provider_refused' });

function platform(name: string, prefix: string, baseUrl?: string, priceCheck = true): ProviderProfile {
  return Object.freeze({
    name,
    api: 'platform',
    baseUrl,
    prefix,
    envelope: PLATFORM,
    credentialField: 'app_key',
    families: PLATFORM_FAMILIES,
    priceCheck,
    accountChange: 'combined',
  });
}

/**
 * IPIDEA's order document shows no credential field at all. `appkey` is assumed (README says so);
 * `--credential-field` overrides it.
 */
export const IPIDEA_DEFAULT_CREDENTIAL_FIELD = 'appkey';

export const PROFILES: Readonly<Record<string, ProviderProfile>> = Object.freeze({
  gateway: platform('gateway', '/gateway'),
  proxy4free: platform('proxy4free', '/cgi', 'https://api.proxy4free.com'),
  proxylite: platform('proxylite', '/end-point', 'https://api.proxylite.com'),
  openapi: platform('openapi', '/openapi'),
  // 000 documents no `/pub/order/check`, so /pub orders are bought on a summary without a price.
  pub: platform('pub', '/pub', undefined, false),
  ipidea: Object.freeze({
    name: 'ipidea',
    api: 'ipidea',
    baseUrl: 'https://api.ipidea.net',
    prefix: '',
    envelope: IPIDEA,
    credentialField: IPIDEA_DEFAULT_CREDENTIAL_FIELD,
    families: Object.freeze(['orders', 'static'] as Family[]),
    priceCheck: false,
    accountChange: 'combined',
  } satisfies ProviderProfile),
});

/** The profile called `name` (case-insensitive), or a config error listing the known ones. */
export function profileByName(name: string): ProviderProfile {
  const key = name.toLowerCase();
  const profile = Object.hasOwn(PROFILES, key) ? PROFILES[key] : undefined;
  if (profile === undefined) {
    throw new SwivelError('config_invalid', `Unknown --provider \`${name}\`; known: ${Object.keys(PROFILES).join(', ')}.`, {
      details: { provider: name },
    });
  }
  return profile;
}

/** The profile whose prefix ends `apiBase`'s path (`…/pub` → pub); gateway when none matches. */
export function profileForBase(apiBase: string): ProviderProfile {
  let path = '';
  try {
    path = new URL(apiBase).pathname.replace(/\/+$/, '');
  } catch {
    path = '';
  }
  for (const profile of Object.values(PROFILES)) {
    if (profile.prefix !== '' && path.endsWith(profile.prefix)) return profile;
  }
  return PROFILES.gateway as ProviderProfile;
}

/** Documented base plus prefix, e.g. `https://api.proxy4free.com/cgi`; undefined when undocumented. */
export function documentedBase(profile: ProviderProfile): string | undefined {
  return profile.baseUrl === undefined ? undefined : `${profile.baseUrl}${profile.prefix}`;
}
