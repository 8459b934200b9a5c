/**
 * Sub-pools are keyed by what the provider's extraction call is asked for: (cc, state, city, ep).
 * Values are normalised (lower case) before they get here, so equal selections share one key.
 */
export interface GeoSelection {
  cc?: string | undefined;
  state?: string | undefined;
  city?: string | undefined;
  ep?: string | undefined;
}

/** Stable string key; `*` marks "any". */
export function geoKey(geo: GeoSelection): string {
  return `${geo.cc ?? '*'}/${geo.state ?? '*'}/${geo.city ?? '*'}/${geo.ep ?? '*'}`;
}

/** Human-readable form for logs and 503 bodies: `cc=de city=berlin`, or `any location`. */
export function describeGeo(geo: GeoSelection): string {
  const parts: string[] = [];
  if (geo.cc !== undefined) parts.push(`cc=${geo.cc}`);
  if (geo.state !== undefined) parts.push(`state=${geo.state}`);
  if (geo.city !== undefined) parts.push(`city=${geo.city}`);
  if (geo.ep !== undefined) parts.push(`ep=${geo.ep}`);
  return parts.length === 0 ? 'any location' : parts.join(' ');
}

/** Merge a request's selection over the configured defaults (request wins field by field). */
export function mergeGeo(defaults: GeoSelection, request: GeoSelection | undefined): GeoSelection {
  if (request === undefined) return defaults;
  // A country given in the request replaces the default state/city, which belong to another country.
  const countryChanged = request.cc !== undefined && request.cc !== defaults.cc;
  return {
    cc: request.cc ?? defaults.cc,
    state: request.state ?? (countryChanged ? undefined : defaults.state),
    city: request.city ?? (countryChanged ? undefined : defaults.city),
    ep: request.ep ?? defaults.ep,
  };
}
