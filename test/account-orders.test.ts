import { describe, expect, it } from 'vitest';
import { keyless, on, run, startAccountSim } from './helpers/account.js';

describe('swivel orders', () => {
  it('list: GET order/list with page_no/page_size, status words; --status takes a word; --all walks pages', async () => {
    const sim = await startAccountSim();
    for (let i = 0; i < 30; i++) sim.account.state.orders.push(sim.account.state.order(101, 1, 0));
    const r = await run(on(sim, 'orders', 'list', '--status', 'pending', '--size', '10', '--from', '2026-11-01', '--to', '2026-11-30'));
    expect(r.code).toBe(0);
    expect(sim.account.calls[0]).toMatchObject({
      method: 'GET',
      path: '/gateway/order/list',
      fields: { status: '0', page_no: '1', page_size: '10', start_time: '2026-11-01 00:00:00', end_time: '2026-11-30 23:59:59' },
    });
    expect(r.lines).toHaveLength(11);
    expect(r.lines[1]).toMatch(/\tpending\t/);
    sim.account.resetCalls();
    const all = await run(on(sim, 'orders', 'list', '--all', '--size', '10', '--json'));
    expect(all.lines).toHaveLength(33);
    expect(sim.account.calls.map((c) => c.fields.page_no)).toEqual(['1', '2', '3', '4']);
    keyless(all);
  });

  it('create without --yes and without a TTY checks the price, then exits 2 having bought nothing', async () => {
    const sim = await startAccountSim();
    const before = sim.account.state.orders.length;
    const r = await run(on(sim, 'orders', 'create', '--pid', '101', '--pm-id', '1', '--amount', '2'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('about to buy Residential 10 GB × 2: pay 60');
    expect(r.stderr).toContain('pass --yes');
    expect(sim.account.calls.map((c) => c.path)).toEqual(['/gateway/order/check']);
    expect(sim.account.state.orders).toHaveLength(before);
  });

  it('create with --yes: check then create; the order is listed as pending; an interactive y works too', async () => {
    const sim = await startAccountSim();
    const r = await run(
      on(sim, 'orders', 'create', '--pid', '103', '--pm-id', '1', '--upids', '1,2', '--renew-duration', '2m', '--yes', '--json'),
    );
    expect(r.code).toBe(0);
    const [check, create] = sim.account.calls;
    expect(check).toMatchObject({
      method: 'POST',
      path: '/gateway/order/check',
      fields: { pid: 103, pm_id: 1, upids: '1,2', renew_duration: '2m' },
    });
    expect(create).toMatchObject({
      method: 'POST',
      path: '/gateway/order/create',
      fields: { pid: 103, pm_id: 1, upids: '1,2', renew_duration: 2 },
    });
    const order = JSON.parse(r.stdout) as { trade_no: string; status: number };
    expect(order.status).toBe(0);
    const tty = await run(on(sim, 'orders', 'create', '--pid', '101', '--pm-id', '1'), { tty: true, answer: 'y' });
    expect(tty.code).toBe(0);
    expect(tty.questions).toEqual(['Create this order? [y/N] ']);
    const list = await run(on(sim, 'orders', 'list', '--status', 'pending'));
    expect(list.stdout).toContain(`${order.trade_no}\tpending`);
  });

  it('--renew-duration em is fine for check but refused on create before any call', async () => {
    const sim = await startAccountSim();
    const check = await run(on(sim, 'orders', 'check', '--pid', '103', '--pm-id', '1', '--renew-duration', 'em'));
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('Residential static IP × 1: pay 5');
    sim.account.resetCalls();
    const create = await run(on(sim, 'orders', 'create', '--pid', '103', '--pm-id', '1', '--renew-duration', 'em', '--yes'));
    expect(create.code).toBe(2);
    expect(create.stderr).toContain('use 1m or 2m');
    expect(sim.account.calls).toHaveLength(0);
  });

  it('a refused check (unknown package) is exit 2 with the provider message, nothing created', async () => {
    const sim = await startAccountSim();
    const r = await run(on(sim, 'orders', 'create', '--pid', '999', '--pm-id', '1', '--yes'));
    expect(r).toMatchObject({ code: 2, stderr: 'swivel: The provider answered code 404: package not found\n' });
    expect(sim.account.calls.map((c) => c.path)).toEqual(['/gateway/order/check']);
  });

  it('cancel needs --yes, then closes the order (status timeout/cancelled)', async () => {
    const sim = await startAccountSim();
    const pending = sim.account.state.orders.find((o) => o.status === 0)!;
    expect((await run(on(sim, 'orders', 'cancel', pending.trade_no))).code).toBe(2);
    expect(pending.status).toBe(0);
    const r = await run(on(sim, 'orders', 'cancel', pending.trade_no, '--yes'));
    expect(r.code).toBe(0);
    expect(sim.account.calls[0]).toMatchObject({ path: '/gateway/order/close', fields: { trade_no: pending.trade_no } });
    expect(pending.status).toBe(2);
  });

  it('/pub: no price check, so create prints a summary, says so, and still needs --yes', async () => {
    const sim = await startAccountSim('/pub');
    const r = await run(on(sim, 'orders', 'create', '--pid', '101', '--pm-id', '1'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no price could be checked');
    expect(sim.account.calls).toHaveLength(0);
    const ok = await run(on(sim, 'orders', 'create', '--pid', '101', '--pm-id', '1', '--yes'));
    expect(ok.code).toBe(0);
    expect(sim.account.calls.map((c) => c.path)).toEqual(['/pub/order/create']);
    const check = await run(on(sim, 'orders', 'check', '--pid', '101', '--pm-id', '1'));
    expect(check).toMatchObject({ code: 2, stderr: 'swivel: The pub provider has no price check (order/check).\n' });
  });

  it('validates --status and dates naming the flag', async () => {
    const sim = await startAccountSim();
    const bad = await run(on(sim, 'orders', 'list', '--status', 'lost'));
    expect(bad.stderr).toBe('swivel: Expected `--status` to be one of pending, paid, timeout, refunded or its number, got `lost`\n');
    const date = await run(on(sim, 'orders', 'list', '--from', '2026-02-30'));
    expect(date).toMatchObject({ code: 2, stderr: 'swivel: Expected `--from` to be a real date, got `2026-02-30`\n' });
    expect(sim.account.calls).toHaveLength(0);
  });
});
