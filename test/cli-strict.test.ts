/**
 * Strict command line, as a user meets it: the built CLI in a child process. A typo'd flag or
 * command exits 2 with one line naming it (and the closest known name) and one hint line, and
 * never starts a proxy.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../src/cli/strict.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

// dist/ is built once for the whole run by test/global-setup.ts.

function run(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SWIVEL_')) env[k] = v;
  // A proxy that started anyway would hang: the timeout turns that into a failed test.
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 8_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('strict CLI', () => {
  it.each([
    [['serve', '--prot', '31000'], 'unknown option `--prot`; did you mean `--port`?'],
    [['--prot', '31000'], 'unknown option `--prot`; did you mean `--port`?'],
    [['serve', '--session-tll', '5m'], 'unknown option `--session-tll`; did you mean `--session-ttl`?'],
    [['usgae'], 'unknown command `usgae`'],
    [['demo', '--api-base', 'http://x'], 'option `--api-base` does not belong to `swivel demo`'],
    [['extract', '--jsno'], 'did you mean `--json`?'],
    [['serve', 'foo'], 'unexpected argument `foo`'],
    [['--rotate', 'zz'], '`--rotate` must be one of round-robin, random, least-used'],
    [['serve', '--port'], 'Not enough arguments following: port'],
  ])('%j exits 2: %s', (args, says) => {
    const r = run(args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toContain(says);
    expect(lines.length).toBe(2);
    expect(r.stderr).not.toMatch(/sessionTll|at .*\.js:\d+/);
    expect(r.stdout).toBe('');
  });

  it('suggests only names that are close', () => {
    expect(editDistance('usgae', 'usage')).toBe(1);
    expect(closest('usgae', ['serve', 'usage', 'demo'])).toBe('usage');
    expect(closest('usgae', ['serve', 'demo', 'extract'])).toBeUndefined();
    expect(closest('prot', ['port', 'socks-port'])).toBe('port');
  });
});

describe('port in use', () => {
  it('exits 3 naming the one flag whose port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run(['serve', '--proxies-file', '/dev/null', '--port', String(taken), '--socks-port', '0']);
      expect(r.status).toBe(3);
      expect(r.stderr).toContain(`--port ${taken}`);
      expect(r.stderr).not.toContain('--socks-port');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
