/**
 * `swivel geo …`: the geo lists (`ip/dynamic-citys`, `ip/dynamic-states`, their `/search`, and the
 * per-account `ip/dcl4`, `dsl4`, `dal4`). `cities --cc CC --state S` searches; without `--state` it
 * filters `dynamic-citys` locally; `--user` switches states/cities to the account lists.
 */
import type { Argv } from 'yargs';
import type { GeoL4Entry } from '../../provider/account/types.js';
import { SwivelError } from '../../errors.js';
import { optionalString, type Act, type Noun } from './command.js';
import { withAccountOptions, type AccountContext } from './context.js';
import { text } from './format.js';
import { parseCountry, parseUser } from './validate.js';

interface Place {
  country: string;
  state: string;
  city: string;
}

function l4(entries: readonly GeoL4Entry[]): Place[] {
  return entries.map((e) => ({ country: text(e.Area), state: text(e.State), city: text(e.City) }));
}

function printPlaces(ctx: AccountContext, places: Place[], fields: ReadonlyArray<keyof Place>): void {
  ctx.table(
    places,
    fields.map((f) => ({ header: f.toUpperCase(), value: (p: Place) => p[f] })),
    (p) => Object.fromEntries(fields.map((f) => [f, p[f]])),
  );
}

function user(ctx: AccountContext): string | undefined {
  const u = optionalString(ctx.args.user);
  return u === undefined ? undefined : parseUser(u, '--user');
}

export const geoNoun: Noun = {
  name: 'geo',
  describe: 'Geo lists: countries, states, cities, tree',
  verbs(y: Argv, act: Act): Argv {
    return y
      .command(
        'countries',
        'Countries and regions of the dynamic pool',
        (c) => withAccountOptions(c),
        act(async (ctx) => {
          const data = await ctx.platform('geo').geoStates({});
          ctx.table(
            data.list,
            [
              { header: 'CC', value: (c) => c.country_code },
              { header: 'NAME', value: (c) => c.name_en },
              { header: 'CONTINENT', value: (c) => c.continent_code },
              { header: 'STATES', value: (c) => String(c.items?.length ?? 0), right: true },
            ],
            ({ items: _items, ...rest }) => rest,
          );
        }),
      )
      .command(
        'states',
        'States or provinces (of one country with --cc; of one proxy account with --user)',
        (c) =>
          withAccountOptions(c).options({
            cc: { type: 'string', describe: 'Country code' },
            user: { type: 'string', describe: 'Proxy account (ip/dsl4)' },
          }),
        act(async (ctx) => {
          const api = ctx.platform('geo');
          const u = user(ctx);
          if (u !== undefined) return printPlaces(ctx, l4((await api.geoAccountStates({ username: u })).list), ['country', 'state']);
          const cc = ctx.args.cc === undefined ? undefined : parseCountry(ctx.args.cc);
          if (cc !== undefined) {
            const data = await api.geoStatesSearch({ country_code: cc });
            return printPlaces(
              ctx,
              data.list.map((s) => ({ country: text(s.country_code ?? cc), state: text(s.state), city: '' })),
              ['country', 'state'],
            );
          }
          const data = await api.geoStates({});
          const places = data.list.flatMap((c) =>
            (c.items ?? []).map((s) => ({ country: c.country_code, state: text(s.state), city: '' })),
          );
          printPlaces(ctx, places, ['country', 'state']);
        }),
      )
      .command(
        'cities',
        'Cities of a country (and state); of one proxy account with --user',
        (c) =>
          withAccountOptions(c).options({
            cc: { type: 'string', describe: 'Country code (required unless --user)' },
            state: { type: 'string', describe: 'State: uses the search endpoint' },
            user: { type: 'string', describe: 'Proxy account (ip/dcl4)' },
          }),
        act(async (ctx) => {
          const api = ctx.platform('geo');
          const u = user(ctx);
          if (u !== undefined)
            return printPlaces(ctx, l4((await api.geoAccountCities({ username: u })).list), ['country', 'state', 'city']);
          if (ctx.args.cc === undefined) throw new SwivelError('config_invalid', '`geo cities` needs --cc (or --user)');
          const cc = parseCountry(ctx.args.cc);
          const state = optionalString(ctx.args.state);
          if (state !== undefined) {
            const data = await api.geoCitiesSearch({ country_code: cc, state });
            const places = data.list.map((c) => ({
              country: text(c.country_code ?? cc),
              state: text(c.state ?? state),
              city: text(c.city),
            }));
            return printPlaces(ctx, places, ['country', 'state', 'city']);
          }
          const data = await api.geoCities({});
          const places = data.list
            .filter((c) => c.country_code.toUpperCase() === cc)
            .flatMap((c) => (c.items ?? []).map((i) => ({ country: c.country_code, state: text(i.state), city: text(i.city) })));
          printPlaces(ctx, places, ['country', 'state', 'city']);
        }),
      )
      .command(
        'tree',
        'Every country, state and city a proxy account can use (ip/dal4)',
        (c) => withAccountOptions(c).option('user', { type: 'string', describe: 'Proxy account', demandOption: true }),
        act(async (ctx) => {
          const u = user(ctx) ?? '';
          printPlaces(ctx, l4((await ctx.platform('geo').geoAccountAll({ username: u })).list), ['country', 'state', 'city']);
        }),
      )
      .demandCommand(1, 'Name a verb: countries, states, cities or tree');
  },
};
