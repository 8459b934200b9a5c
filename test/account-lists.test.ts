/** allowlist, usage, packages, geo, static (platform), products, payments against the sim. */
import { describe, expect, it } from 'vitest';
import { keyless, on, run, startAccountSim } from './helpers/account.js';

describe('swivel allowlist', () => {
  it('add validates IPs before any call, then posts ips comma-joined; remove needs --yes', async () => {
    const sim = await startAccountSim();
    const bad = await run(on(sim, 'allowlist', 'add', '10.0.0.1', '300.1.1.1'));
    expect(bad).toMatchObject({ code: 2, stderr: 'swivel: Expected IP to be an IP address, got `300.1.1.1`\n' });
    expect(sim.account.calls).toHaveLength(0);
    expect((await run(on(sim, 'allowlist', 'add', '10.0.0.1', '2001:db8::1', '--remark', 'pod'))).code).toBe(0);
    expect(sim.account.calls[0]).toMatchObject({
      method: 'POST',
      path: '/gateway/proxy-ip/add',
      fields: { ips: '10.0.0.1,2001:db8::1', remark: 'pod' },
    });
    const list = await run(on(sim, 'allowlist', 'list'));
    expect(list.lines.map((l) => l.split('\t')[0])).toEqual(['IP', '203.0.113.7', '10.0.0.1', '2001:db8::1']);
    expect((await run(on(sim, 'allowlist', 'remove', '10.0.0.1'))).code).toBe(2);
    expect(sim.account.state.allowlist).toHaveLength(3);
    const rm = await run(on(sim, 'allowlist', 'remove', '10.0.0.1', '--verify-type', 'totp', '--verify-code', '123456', '--yes'));
    expect(rm.code).toBe(0);
    expect(sim.account.calls.at(-1)).toMatchObject({
      path: '/gateway/proxy-ip/delete',
      fields: { ips: '10.0.0.1', verify_type: 'totp', verify_code: '123456' },
    });
    expect(sim.account.state.allowlist.map((e) => e.ip)).toEqual(['203.0.113.7', '2001:db8::1']);
  });
});

describe('swivel usage', () => {
  it('sends Y-m-d H:i:s, defaults to the last 7 days, charts on a TTY and prints the total', async () => {
    const sim = await startAccountSim();
    const tty = await run(on(sim, 'usage'), { tty: true });
    expect(tty.code).toBe(0);
    const fields = sim.account.calls[0]?.fields ?? {};
    expect(String(fields.start_time)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(String(fields.end_time)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(tty.stdout).toContain('█');
    expect(tty.lines.at(-1)).toMatch(/^total \S+ \S+$/);
    const pipe = await run(on(sim, 'usage', '--from', '2000-01-01', '--to', '2099-12-31 12:00:00', '--user', 'scraper1'));
    expect(sim.account.calls[1]?.fields).toMatchObject({
      start_time: '2000-01-01 00:00:00',
      end_time: '2099-12-31 12:00:00',
      username: 'scraper1',
    });
    expect(pipe.stdout).not.toContain('█');
    expect(pipe.lines[0]).toBe('DAY\tTRAFFIC');
    expect(pipe.lines).toHaveLength(9);
    expect(pipe.lines.at(-1)).toBe('total\t4.1 GiB');
    const json = await run(on(sim, 'usage', '--json', '--from', '2000-01-01'));
    expect(JSON.parse(json.stdout)).toMatchObject({ total_kb: 28 * 153_600 });
    const bad = await run(on(sim, 'usage', '--from', 'yesterday'));
    expect(bad).toMatchObject({ code: 2, stderr: 'swivel: Expected `--from` to be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got `yesterday`\n' });
  });
});

describe('swivel packages', () => {
  it('list pages with page/size and --all walks every page; /pub serves the same path under its prefix', async () => {
    const sim = await startAccountSim('/pub');
    const one = await run(on(sim, 'packages', 'list'));
    expect(one.lines).toHaveLength(21);
    expect(sim.account.calls[0]).toMatchObject({
      method: 'GET',
      path: '/pub/user-product/list',
      fields: { page: '1' },
      credentialIn: 'query',
    });
    sim.account.resetCalls();
    const all = await run(on(sim, 'packages', 'list', '--all', '--json'));
    expect(all.lines).toHaveLength(45);
    expect(sim.account.calls.map((c) => c.fields.page)).toEqual(['1', '2', '3']);
    const third = await run(on(sim, 'packages', 'list', '--page', '3', '--size', '20'));
    expect(third.lines).toHaveLength(6);
    keyless(all);
  });

  it('summary shows traffic in binary units', async () => {
    const sim = await startAccountSim();
    const r = await run(on(sim, 'packages', 'summary'));
    expect(r.lines[1]).toBe('total\t10 GiB\t5');
    expect(sim.account.calls[0]?.path).toBe('/gateway/user-product/summary');
  });
});

describe('swivel geo', () => {
  it('countries, states --cc (search), cities --cc (local filter) and --state (search), tree --user (dal4)', async () => {
    const sim = await startAccountSim();
    expect((await run(on(sim, 'geo', 'countries'))).lines.map((l) => l.split('\t')[0])).toEqual(['CC', 'US', 'DE', 'GB']);
    const states = await run(on(sim, 'geo', 'states', '--cc', 'de'));
    expect(sim.account.calls.at(-1)).toMatchObject({ path: '/gateway/ip/dynamic-states/search', fields: { country_code: 'DE' } });
    expect(states.lines.slice(1)).toEqual(['DE\tBerlin', 'DE\tBavaria']);
    const cities = await run(on(sim, 'geo', 'cities', '--cc', 'gb'));
    expect(sim.account.calls.at(-1)?.path).toBe('/gateway/ip/dynamic-citys');
    expect(cities.lines.slice(1)).toEqual(['GB\tEngland\tLondon', 'GB\tEngland\tManchester']);
    const search = await run(on(sim, 'geo', 'cities', '--cc', 'us', '--state', 'California'));
    expect(sim.account.calls.at(-1)).toMatchObject({
      path: '/gateway/ip/dynamic-citys/search',
      fields: { country_code: 'US', state: 'California' },
    });
    expect(search.lines).toHaveLength(3);
    const tree = await run(on(sim, 'geo', 'tree', '--user', 'scraper1', '--json'));
    expect(sim.account.calls.at(-1)).toMatchObject({ path: '/gateway/ip/dal4', fields: { username: 'scraper1' } });
    expect(JSON.parse(tree.lines[0] ?? '')).toEqual({ country: 'US', state: 'California', city: 'Los Angeles' });
    await run(on(sim, 'geo', 'states', '--user', 'scraper1'));
    expect(sim.account.calls.at(-1)?.path).toBe('/gateway/ip/dsl4');
    await run(on(sim, 'geo', 'cities', '--user', 'scraper1'));
    expect(sim.account.calls.at(-1)?.path).toBe('/gateway/ip/dcl4');
    const nocc = await run(on(sim, 'geo', 'cities'));
    expect(nocc).toMatchObject({ code: 2, stderr: 'swivel: `geo cities` needs --cc (or --user)\n' });
  });
});

describe('swivel static (platform)', () => {
  it('list filters by status word, shows status words, --all walks pages; regions and host-pool', async () => {
    const sim = await startAccountSim();
    const valid = await run(on(sim, 'static', 'list', '--status', 'valid', '--cc', 'de'));
    expect(sim.account.calls[0]).toMatchObject({
      path: '/gateway/ip/get-static-ip',
      fields: { status: '1', country_code: 'DE', page: '1' },
    });
    expect(valid.lines.slice(1).every((l) => l.includes('\tvalid\t'))).toBe(true);
    const all = await run(on(sim, 'static', 'list', '--all', '--size', '10'));
    expect(all.lines).toHaveLength(26);
    const regions = await run(on(sim, 'static', 'regions', '--isp', '1'));
    expect(regions.lines[1]).toBe('US\tUnited States\t55');
    expect(sim.account.calls.at(-1)).toMatchObject({ path: '/gateway/ip/static-ip-region', fields: { isp: '1' } });
    expect((await run(on(sim, 'static', 'host-pool'))).lines).toHaveLength(2);
    const open = await run(on(sim, 'static', 'open', '--kind', 'isp'));
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('does not serve `static open`');
  });
});

describe('swivel products and payments', () => {
  it('products list by type name, payments list/groups/gift-ratio (success code 0)', async () => {
    const sim = await startAccountSim();
    const products = await run(on(sim, 'products', 'list', '--type', '14'));
    expect(products.lines.slice(1)).toEqual(['102\tDatacenter static IP\tstatic datacenter IP\t3\t30']);
    expect(sim.account.calls[0]).toMatchObject({ path: '/gateway/product', fields: { type: '14' } });
    expect((await run(on(sim, 'payments', 'list'))).lines[1]).toBe('1\tBalance\tbalance\t0\tyes');
    expect((await run(on(sim, 'payments', 'groups'))).lines).toHaveLength(3);
    const gift = await run(on(sim, 'payments', 'gift-ratio', '--json'));
    expect(JSON.parse(gift.lines[0] ?? '')).toEqual({ amount: 100, ratio: 0.05 });
    expect(sim.account.calls.at(-1)?.path).toBe('/gateway/activity/balance-recharge-gift-ratio');
  });
});
