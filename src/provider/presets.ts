/**
 * Brands of the white-label provider platform whose public docs state the API base (host plus path
 * prefix). `--provider proxy4free` is then shorthand for `--api-base https://api.proxy4free.com/cgi`.
 * Derived from the provider profiles (profiles/index.ts): every brand that serves extraction and
 * documents its base.
 *
 * BestProxy (prefix `/gateway`) is deliberately absent: its OpenAPI document leaves "Base URLs"
 * blank, so its users pass `--api-base` themselves. The `/openapi` and `/pub` brands are absent for
 * the same reason.
 */
import { SwivelError } from '../errors.js';
import { PROFILES, documentedBase } from './profiles/index.js';

export const PROVIDER_PRESETS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    Object.values(PROFILES).flatMap((p) => {
      const base = documentedBase(p);
      return p.families.includes('extract') && base !== undefined ? [[p.name, base]] : [];
    }),
  ),
);

/**
 * The API base to use: `apiBase` when given, else the preset of `provider`, else undefined (the
 * caller decides whether that is an error). An unknown provider name is a config error.
 */
export function resolveApiBase(provider?: string, apiBase?: string): string | undefined {
  if (apiBase !== undefined && apiBase !== '') return apiBase;
  if (provider === undefined || provider === '') return undefined;
  const key = provider.toLowerCase();
  if (Object.hasOwn(PROVIDER_PRESETS, key)) return PROVIDER_PRESETS[key];
  throw new SwivelError(
    'config_invalid',
    `Unknown --provider \`${provider}\`; known: ${Object.keys(PROVIDER_PRESETS).join(', ')}. Or pass --api-base.`,
    { details: { provider } },
  );
}
