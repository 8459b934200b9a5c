import { describe, expect, it } from 'vitest';
import { applyChange } from '../src/cli/account/accounts.js';
import { createPlatformClient } from '../src/provider/account/platform.js';
import { profileByName } from '../src/provider/profiles/index.js';
import { APP_KEY, keyless, on, run, startAccountSim } from './helpers/account.js';

describe('swivel accounts', () => {
  it('list: GET {prefix}/whitelist-account/list with app_key in the query; table on a TTY, TSV on a pipe, --json lines; no password', async () => {
    const sim = await startAccountSim('/cgi');
    const tty = await run(on(sim, 'accounts', 'list', '--product-type', '9'), { tty: true });
    expect(tty.code).toBe(0);
    expect(sim.account.calls[0]).toMatchObject({
      method: 'GET',
      path: '/cgi/whitelist-account/list',
      fields: { product_type: '9' },
      credentialIn: 'query',
    });
    expect(tty.lines[0]).toContain('USER');
    expect(tty.lines[1]).toMatch(/^scraper1\s+enabled\s+dynamic residential traffic\s+1\.2 GiB\s+100 GiB\s+2026-11-20 10:00:00\s+demo$/);
    const pipe = await run(on(sim, 'accounts', 'list'));
    expect(pipe.lines[1]).toBe('scraper1\tenabled\tdynamic residential traffic\t1.2 GiB\t100 GiB\t2026-11-20 10:00:00\tdemo');
    expect(pipe.stdout).not.toContain('\u001b[');
    const json = await run(on(sim, 'accounts', 'list', '--json'));
    const row = JSON.parse(json.lines[0] ?? '') as Record<string, unknown>;
    expect(row).toMatchObject({ username: 'scraper1', usage_flow: 1_258_291, limit_flow: 100 });
    for (const r of [tty, pipe, json]) {
      expect(r.stdout).not.toContain('Secret1pw');
      keyless(r);
    }
  });

  it('add posts JSON {app_key, accounts, remark, product_type}; the account then appears', async () => {
    const sim = await startAccountSim();
    const r = await run(on(sim, 'accounts', 'add', 'bot1:pw1234', 'bot2:pw5678', '--remark', 'crawl', '--product-type', '9'));
    expect(r.code).toBe(0);
    const call = sim.account.calls[0];
    expect(call).toMatchObject({ method: 'POST', path: '/gateway/whitelist-account/add', credentialIn: 'body' });
    expect(call?.contentType).toMatch(/^application\/json/);
    expect(call?.fields).toEqual({ accounts: 'bot1:pw1234,bot2:pw5678', remark: 'crawl', product_type: 9 });
    const list = await run(on(sim, 'accounts', 'list'));
    expect(list.stdout).toContain('bot1\tenabled');
    expect(r.stdout + r.stderr).not.toContain('pw1234');
  });

  it('validates USER:PASS before any call', async () => {
    const sim = await startAccountSim();
    const r = await run(on(sim, 'accounts', 'add', 'bad-user:pw'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('swivel: Expected USER:PASS with letters and digits only on both sides, got `bad-user:…`\n');
    expect(sim.account.calls).toHaveLength(0);
  });

  it('delete needs --yes without a TTY, asks on a TTY, and deletes with --yes', async () => {
    const sim = await startAccountSim();
    const refused = await run(on(sim, 'accounts', 'delete', 'scraper1'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --yes');
    const declined = await run(on(sim, 'accounts', 'delete', 'scraper1'), { tty: true, answer: 'n' });
    expect(declined.code).toBe(2);
    expect(declined.questions[0]).toContain('scraper1');
    expect(sim.account.calls).toHaveLength(0);
    const done = await run(on(sim, 'accounts', 'delete', 'scraper1', '--yes'));
    expect(done.code).toBe(0);
    expect(sim.account.calls[0]).toMatchObject({ path: '/gateway/whitelist-account/delete', fields: { accounts: 'scraper1' } });
    expect((await run(on(sim, 'accounts', 'list'))).lines).toHaveLength(1);
  });

  it('enable/disable flip the status; set sends proxy-account/change with only the given fields', async () => {
    const sim = await startAccountSim();
    expect((await run(on(sim, 'accounts', 'disable', 'scraper1'))).code).toBe(0);
    expect((await run(on(sim, 'accounts', 'list'))).stdout).toContain('scraper1\tdisabled');
    expect((await run(on(sim, 'accounts', 'enable', 'scraper1'))).code).toBe(0);
    const set = await run(on(sim, 'accounts', 'set', 'scraper1', '--limit-gb', '50', '--udp', 'on', '--status', 'off'));
    expect(set.code).toBe(0);
    expect(sim.account.calls.at(-1)).toMatchObject({
      path: '/gateway/proxy-account/change',
      fields: { account: 'scraper1', limit: 50, udp: 1, status: 0 },
    });
    expect(Object.keys(sim.account.calls.at(-1)?.fields ?? {}).sort()).toEqual(['account', 'limit', 'status', 'udp']);
    expect((await run(on(sim, 'accounts', 'list'))).stdout).toContain('50 GiB');
  });

  it('refuses GB limits out of 0..102400 naming the flag', async () => {
    const sim = await startAccountSim();
    const r = await run(on(sim, 'accounts', 'set', 'scraper1', '--limit-gb', '102401'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('swivel: Expected `--limit-gb` to be a whole number of GB from 0 to 102400, got `102401`\n');
    expect(sim.account.calls).toHaveLength(0);
  });

  it('code 3, code 156, a refusal, HTTP 500 and garbage: one line, exit 2 or 3, no key', async () => {
    const sim = await startAccountSim();
    const cases = [
      ['bad-key', 2, 'swivel: The provider rejected the app key (code 3: invalid app_key). Check --app-key.'],
      ['unverified', 2, 'swivel: The provider account is not verified (code 156). Complete verification in the provider dashboard.'],
      ['refuse', 2, 'swivel: The provider answered code 400: request refused by the provider'],
      ['http-500', 3, `swivel: The provider answered HTTP 500 to GET ${sim.apiBase}/whitelist-account/list?app_key=***.`],
      ['garbage', 3, 'swivel: The provider answer to /whitelist-account/list is not JSON: `<html>502 Bad Gateway</html>`.'],
      ['malformed', 3, 'swivel: The provider answer to /whitelist-account/list has an unexpected shape.'],
    ] as const;
    for (const [behavior, code, line] of cases) {
      sim.account.setBehavior(behavior);
      const r = await run(on(sim, 'accounts', 'list'));
      expect({ behavior, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ behavior, code, stderr: `${line}\n`, stdout: '' });
      keyless(r);
    }
  });

  it('an unreachable provider is exit 3 with the key redacted from the URL', async () => {
    const sim = await startAccountSim();
    const base = sim.apiBase;
    await sim.close();
    const r = await run(['accounts', 'list', '--api-base', base, '--app-key', APP_KEY, '--api-timeout', '2s']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`swivel: Cannot reach the provider API at ${base}/whitelist-account/list?app_key=***: ECONNREFUSED.\n`);
    keyless(r);
  });

  it('takes the key and base from SWIVEL_* env; a missing key is one line, exit 2', async () => {
    const sim = await startAccountSim();
    const r = await run(['accounts', 'list'], { env: { SWIVEL_API_BASE: sim.apiBase, SWIVEL_APP_KEY: APP_KEY } });
    expect(r.code).toBe(0);
    const missing = await run(['accounts', 'list', '--api-base', sim.apiBase]);
    expect(missing).toMatchObject({ code: 2, stderr: 'swivel: Missing app key: pass --app-key or set SWIVEL_APP_KEY\n' });
    const nobase = await run(['accounts', 'list', '--provider', 'gateway', '--app-key', APP_KEY]);
    expect(nobase).toMatchObject({ code: 2, stderr: 'swivel: The gateway provider documents no base URL; pass --api-base\n' });
    const ipidea = await run(['accounts', 'list', '--provider', 'ipidea', '--api-base', sim.url, '--app-key', APP_KEY]);
    expect(ipidea).toMatchObject({ code: 2, stderr: 'swivel: The ipidea provider does not serve `accounts` commands.\n' });
  });
});

describe('accounts set on a brand without proxy-account/change', () => {
  it('uses change-password, change-remark and change-limit, and refuses what they cannot set before any call', async () => {
    const sim = await startAccountSim();
    const profile = { ...profileByName('gateway'), accountChange: 'single-field' as const };
    const api = createPlatformClient({ profile, apiBase: sim.apiBase, credential: APP_KEY, timeoutMs: 5_000 });
    await applyChange(api, 'single-field', { account: 'scraper1', password: 'NewPass99', remark: 'r2', limit: 7 });
    expect(sim.account.calls.map((c) => [c.path, c.fields])).toEqual([
      ['/gateway/whitelist-account/change-password', { account: 'scraper1', password: 'NewPass99' }],
      ['/gateway/whitelist-account/change-remark', { account: 'scraper1', remark: 'r2' }],
      ['/gateway/whitelist-account/change-limit', { account: 'scraper1', limit: 7 }],
    ]);
    expect(sim.account.state.accounts[0]).toMatchObject({ password: 'NewPass99', remark: 'r2', limit_flow: 7 });
    await expect(applyChange(api, 'single-field', { account: 'scraper1', udp: 1 })).rejects.toMatchObject({ code: 'config_invalid' });
    expect(sim.account.calls).toHaveLength(3);
  });
});
