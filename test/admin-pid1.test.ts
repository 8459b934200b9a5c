/**
 * swivel as PID 1, as in a container without an init: run the built CLI in a new PID namespace
 * (`unshare --pid --fork`, since there is no container runtime here). The kernel ignores signals
 * that PID 1 has no handler for, so this proves SIGTERM drains, and a second SIGTERM during the
 * drain ends it at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { adminGet, freePort } from './helpers/admin.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

// dist/ is built once for the whole run by test/global-setup.ts.

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});

interface Pid1Run {
  stdout: () => string;
  /** The swivel process as the host sees it; PID 1 inside its namespace. */
  pid: number;
  exited: Promise<number | null>;
}

async function startAsPid1(adminPort: number): Promise<Pid1Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SWIVEL_')) env[k] = v;
  const child = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--kill-child',
      process.execPath,
      CLI,
      'demo',
      '--port',
      '0',
      '--socks-port',
      '0',
      '--admin-port',
      String(adminPort),
      '--drain-timeout',
      '30s',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!out.includes('Press Ctrl-C')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`demo did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
  const pid = Number(kids[0]);
  // NSpid: the host's pid, then the pid inside the new namespace.
  const nspid = /NSpid:\s*([\d\s]+)/
    .exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!
    .trim()
    .split(/\s+/);
  expect(nspid[nspid.length - 1]).toBe('1');
  return { stdout: () => out, pid, exited };
}

describe('PID 1 in a PID namespace', () => {
  it('drains on SIGTERM and exits 0', async () => {
    const adminPort = await freePort();
    const run = await startAsPid1(adminPort);
    expect(run.stdout()).toContain(`http://127.0.0.1:${adminPort}/`);
    expect((await adminGet(adminPort, '/readyz')).status).toBe(200);
    process.kill(run.pid, 'SIGTERM');
    expect(await run.exited).toBe(0);
  }, 30_000);

  it('a second SIGTERM during the drain ends it at once', async () => {
    const adminPort = await freePort();
    const run = await startAsPid1(adminPort);
    const proxyPort = Number(/curl -x http:\/\/127\.0\.0\.1:(\d+) /.exec(run.stdout())![1]);
    const target = /curl -x http:\/\/127\.0\.0\.1:\d+ http:\/\/(127\.0\.0\.1:\d+)\/ip/.exec(run.stdout())![1]!;
    // Hold a tunnel open so the drain (30 s) has something to wait for.
    const held = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(proxyPort, '127.0.0.1', () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
      s.once('data', (d) => (d.toString().startsWith('HTTP/1.1 200') ? resolve(s) : reject(new Error(d.toString()))));
      s.once('error', reject);
    });
    held.on('error', () => undefined);
    process.kill(run.pid, 'SIGTERM');
    // Draining: still alive, not ready.
    await expect.poll(async () => (await adminGet(adminPort, '/readyz')).status, { timeout: 5_000, interval: 50 }).toBe(503);
    const t0 = Date.now();
    process.kill(run.pid, 'SIGTERM');
    expect(await run.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    held.destroy();
  }, 30_000);
});
