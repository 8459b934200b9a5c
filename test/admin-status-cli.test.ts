/** `swivel status`: the admin port's /status as a terminal table; exit 3 when swivel is not reachable. */
import { afterEach, describe, expect, it } from 'vitest';
import { statusCommand } from '../src/cli/status.js';
import { freePort } from './helpers/admin.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

function capture(): { out: string[]; err: string[]; output: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

describe('swivel status', () => {
  it('prints one row per endpoint of each sub-pool', async () => {
    const h = await startSwivel({
      admin: true,
      flags: { num: 3, 'admin-auth': 'ops:pw' },
    });
    const adminPort = h.app.admin!.port;
    const c = capture();
    expect(await statusCommand(`http://127.0.0.1:${adminPort}`, 'ops:pw', c.output)).toBe(0);
    const ids = h.app.pool.defaultPool.endpoints.map((e) => e.id);
    expect(ids.length).toBe(3);
    const rows = c.out.filter((l) => /^127\.0\.0\.1:\d+\s/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(ids);
    expect(rows.every((l) => l.split(/\s+/)[1] === 'usable')).toBe(true);
    expect(c.out.some((l) => l.startsWith('ENDPOINT'))).toBe(true);

    const noAuth = capture();
    expect(await statusCommand(`http://127.0.0.1:${adminPort}`, undefined, noAuth.output)).toBe(2);
    expect(noAuth.err.join('\n')).toContain('--admin-auth');
  });

  it('exits 2 on a URL that is not one', async () => {
    const c = capture();
    expect(await statusCommand('localhost:9090', undefined, c.output)).toBe(2);
    expect(c.err[0]).toContain('--admin');
  });

  it('exits 3 with one line when nothing listens there', async () => {
    const port = await freePort();
    const c = capture();
    expect(await statusCommand(`http://127.0.0.1:${port}`, undefined, c.output)).toBe(3);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toContain('cannot reach swivel');
  });
});
