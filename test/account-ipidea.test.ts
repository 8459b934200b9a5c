import { describe, expect, it } from 'vitest';
import { APP_KEY, keyless, run, startAccountSim } from './helpers/account.js';
import type { ProviderSim } from '../src/sim/index.js';

function ipidea(sim: ProviderSim, ...args: string[]): string[] {
  return [...args, '--provider', 'ipidea', '--api-base', sim.url, '--app-key', APP_KEY];
}

describe('swivel with --provider ipidea', () => {
  it('orders list --kind maps onto the four order lists, multipart, with the credential in the body', async () => {
    const sim = await startAccountSim();
    const r = await run(ipidea(sim, 'orders', 'list', '--kind', 'flow', '--from', '2022-05-01', '--status', 'paid'));
    expect(r.code).toBe(0);
    const call = sim.account.calls[0];
    expect(call).toMatchObject({
      method: 'POST',
      path: '/api/open/flow_order_list',
      credentialIn: 'body',
      fields: { start_time: '2022-5-1', pay_status: '1', page: '1' },
    });
    expect(call?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(r.lines[1]).toMatch(/^2205211052185894\tpaid\t0\.01\t/);
    for (const [kind, path] of [
      ['mobile-flow', 'mobile_flow_order_list'],
      ['isp', 'isp_order_list'],
      ['datacenter', 'datacenter_order_list'],
    ]) {
      expect((await run(ipidea(sim, 'orders', 'list', '--kind', kind ?? ''))).code).toBe(0);
      expect(sim.account.calls.at(-1)?.path).toBe(`/api/open/${path}`);
    }
    keyless(r);
  });

  it('static open: summary, no price check, needs --yes; durations spelled per endpoint', async () => {
    const sim = await startAccountSim();
    const no = await run(ipidea(sim, 'static', 'open', '--kind', 'isp', '--region', 'hk', '--duration', 'week', '--num', '2'));
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('no price could be checked');
    expect(sim.account.calls).toHaveLength(0);
    const isp = await run(
      ipidea(sim, 'static', 'open', '--kind', 'isp', '--region', 'hk', '--duration', 'week', '--num', '2', '--yes', '--json'),
    );
    expect(isp.code).toBe(0);
    expect(sim.account.calls[0]).toMatchObject({ path: '/api/open/isp_ip_open', fields: { region: 'hk', duration: 'weekly', num: '2' } });
    expect(JSON.parse(isp.stdout)).toHaveProperty('order_id');
    await run(ipidea(sim, 'static', 'open', '--kind', 'datacenter', '--region', 'hk', '--duration', 'monthly', '--num', '1', '--yes'));
    expect(sim.account.calls[1]).toMatchObject({ path: '/api/open/static_ip_open', fields: { duration: 'month' } });
    const list = await run(ipidea(sim, 'orders', 'list', '--kind', 'isp', '--json'));
    expect(list.lines).toHaveLength(1);
  });

  it('static renew validates --ips, then posts renew_ip_list', async () => {
    const sim = await startAccountSim();
    const bad = await run(ipidea(sim, 'static', 'renew', '--kind', 'datacenter', '--ips', '1.2.3.4,nope', '--duration', 'week', '--yes'));
    expect(bad).toMatchObject({ code: 2, stderr: 'swivel: Expected --ips to be an IP address, got `nope`\n' });
    const ok = await run(
      ipidea(sim, 'static', 'renew', '--kind', 'datacenter', '--ips', '156.237.6.97,156.237.6.98', '--duration', 'week', '--yes'),
    );
    expect(ok.code).toBe(0);
    expect(sim.account.calls[0]).toMatchObject({
      path: '/api/open/static_ip_renew',
      fields: { renew_ip_list: '156.237.6.97,156.237.6.98', duration: 'week' },
    });
  });

  it('a failing ret is one line, exit 2; the credential field can be renamed and stays out of output', async () => {
    const sim = await startAccountSim();
    sim.account.ipideaCredentialField = 'key';
    const wrongField = await run(ipidea(sim, 'orders', 'list'));
    expect(wrongField).toMatchObject({ code: 2, stderr: 'swivel: The provider answered ret 1001: invalid app_key\n' });
    expect(sim.account.calls[0]?.credentialIn).toBe('missing');
    const renamed = await run([...ipidea(sim, 'orders', 'list'), '--credential-field', 'key']);
    expect(renamed.code).toBe(0);
    expect(sim.account.calls[1]?.credentialIn).toBe('body');
    sim.account.setBehavior('http-500');
    const down = await run(ipidea(sim, 'orders', 'list'));
    expect(down.code).toBe(3);
    sim.account.setBehavior('malformed');
    expect((await run(ipidea(sim, 'orders', 'list'))).code).toBe(3);
    for (const r of [wrongField, renamed, down]) keyless(r);
  });

  it('commands IPIDEA does not serve are one line, exit 2', async () => {
    const sim = await startAccountSim();
    const r = await run(ipidea(sim, 'usage'));
    expect(r).toMatchObject({ code: 2, stderr: 'swivel: The ipidea provider does not serve `usage` commands.\n' });
    expect(sim.account.calls).toHaveLength(0);
  });
});
