/**
 * Endpoints from a local file instead of the API: one `host:port[:user:pass]` or proxy URL per
 * line, `#` comments and blank lines skipped. A line may carry geo tags after the entry
 * (`1.2.3.4:8080 cc=de city=berlin`), or a header row names the columns after the first
 * (`proxy,cc,city`). The file is read again at every extract() so edits are picked up at the next
 * refresh without a restart.
 *
 * An extraction for a geo returns only entries tagged with it; when none is, the extraction fails
 * naming the geo (the client gets 503 pool_empty), never a silent fall-back to untagged entries.
 */
import { readFile } from 'node:fs/promises';
import { SwivelError } from '../errors.js';
import { describeGeo, type GeoSelection } from '../pool/geo-key.js';
import { emptyParseResult, endpointCount, parseTextBody } from './parse.js';
import type { EndpointSource, ExtractQuery, ParseResult } from './types.js';

type GeoField = 'cc' | 'state' | 'city' | 'ep';

/** Tag and column names, with the aliases the username accepts. */
const GEO_NAMES: Readonly<Record<string, GeoField>> = {
  cc: 'cc',
  country: 'cc',
  state: 'state',
  st: 'state',
  region: 'state',
  city: 'city',
  ep: 'ep',
};

const HEADER_FIRST = new Set(['proxy', 'endpoint', 'host', 'address', 'server']);

function normalise(field: GeoField, value: string): string {
  const v = value.trim().toLowerCase();
  return field === 'state' || field === 'city' ? v.replaceAll('_', ' ') : v;
}

/** `cc=de city=berlin` → geo, or undefined when a token is not a known `key=value` tag. */
function parseTags(tokens: readonly string[]): GeoSelection | undefined {
  const geo: GeoSelection = {};
  for (const token of tokens) {
    const eq = token.indexOf('=');
    const field = eq === -1 ? undefined : GEO_NAMES[token.slice(0, eq).toLowerCase()];
    if (field === undefined) return undefined;
    geo[field] = normalise(field, token.slice(eq + 1));
  }
  return geo;
}

function matches(geo: GeoSelection, query: ExtractQuery): boolean {
  for (const field of ['cc', 'state', 'city', 'ep'] as const) {
    const want = query[field];
    if (want !== undefined && geo[field] !== want) return false;
  }
  return true;
}

export class FileSource implements EndpointSource {
  readonly name: string;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    this.name = `file ${path}`;
  }

  async extract(query: ExtractQuery, signal?: AbortSignal): Promise<ParseResult> {
    let text: string;
    try {
      text = await readFile(this.#path, { encoding: 'utf8', signal });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const errno = (err as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new SwivelError('config_invalid', `Cannot read --proxies-file \`${this.#path}\`: ${errno}`, {
        cause: err,
        details: { path: this.#path, errno },
      });
    }
    // Editors on Windows save UTF-8 with a byte order mark.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const result = emptyParseResult();
    let columns: GeoField[] | undefined;
    let entries = 0;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const tokens = line.split(/[\s,;]+/);
      if (entries === 0 && columns === undefined && HEADER_FIRST.has(tokens[0]!.toLowerCase())) {
        const named = tokens.slice(1).map((t) => GEO_NAMES[t.toLowerCase()]);
        if (named.every((f) => f !== undefined)) {
          columns = named;
          continue;
        }
      }
      entries++;
      let entry = line;
      let geo: GeoSelection = {};
      if (columns !== undefined) {
        entry = tokens[0]!;
        columns.forEach((field, i) => {
          const v = tokens[i + 1];
          if (v !== undefined && v !== '') geo[field] = normalise(field, v);
        });
      } else if (tokens.length > 1) {
        const tags = parseTags(tokens.slice(1));
        if (tags !== undefined) {
          entry = tokens[0]!;
          geo = tags;
        }
      }
      if (matches(geo, query)) parseTextBody(entry, undefined, result);
    }
    const asked: GeoSelection = { cc: query.cc, state: query.state, city: query.city, ep: query.ep };
    if (endpointCount(result) === 0 && entries > 0 && describeGeo(asked) !== 'any location') {
      throw new SwivelError(
        'provider_empty',
        `--proxies-file has no endpoint tagged ${describeGeo(asked)} (tag lines like \`host:port cc=de city=berlin\`)`,
        { details: { path: this.#path } },
      );
    }
    return result;
  }
}
