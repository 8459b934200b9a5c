/**
 * Issue 13's "done when", as a new user tries it: two `swivel serve --redis-url …` processes on
 * different ports behind one simulated provider make one extraction between them, and `session-x`
 * leaves through the same IP via either. The simulator and redis-server run beside them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ipOf, proxyGet } from './helpers/http-client.js';
import { SKIP_REDIS, SKIP_REDIS_REASON, useRedisServer } from './helpers/redis.js';
import { startSim, stopAll } from './helpers/swivel.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

if (SKIP_REDIS) console.warn(`skipping the two-process Redis test: ${SKIP_REDIS_REASON}`);

const children = new Set<ChildProcess>();

/** The machine's SWIVEL_* settings must not reach the CLI under test. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SWIVEL_')) env[key] = value;
  return env;
}

/** Start `swivel serve` and resolve with its HTTP port once it prints the listening line. */
function serve(args: string[]): Promise<{ port: number; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 10s\nstdout: ${stdout}\nstderr: ${stderr}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const m = /^swivel listening on http:\/\/127\.0\.0\.1:(\d+)/m.exec(stdout);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), stderr: () => stderr });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

describe.skipIf(SKIP_REDIS)('two swivel serve processes with --redis-url', () => {
  const redis = useRedisServer();
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
    await stopAll();
  });

  it('make one extraction between them, and session-x gets the same IP through either', async () => {
    const sim = await startSim({ upstreams: 8 });
    const args = [
      '--port',
      '0',
      '--socks-port',
      '0',
      '--api-base',
      sim.apiBase,
      '--allow-private-endpoints',
      '--num',
      '8',
      '--redis-url',
      redis().url,
      '--redis-prefix',
      `cli-${randomUUID()}`,
      // Generous: on a loaded machine a 200 ms call can overrun, and a replica would (rightly) extract alone.
      '--redis-timeout',
      '2s',
    ];
    // Started together, as two pods of a Deployment: both cold.
    const [a, b] = await Promise.all([serve(['--app-key', sim.appKey, ...args]), serve(['--app-key', sim.appKey, ...args])]);
    expect(a.port).not.toBe(b.port);
    const ipUrl = `${sim.target.url}/ip`;
    // Rotate A a little first, so the session's endpoint is not simply both replicas' first one.
    for (let i = 0; i < 3; i++) expect((await proxyGet(a.port, ipUrl)).status).toBe(200);
    const viaA = ipOf(await proxyGet(a.port, ipUrl, { username: 'session-x' }));
    for (let i = 0; i < 3; i++) {
      expect(ipOf(await proxyGet(b.port, ipUrl, { username: 'session-x' }))).toBe(viaA);
      expect(ipOf(await proxyGet(a.port, ipUrl, { username: 'session-x' }))).toBe(viaA);
    }
    expect(sim.provider.callCount, `${a.stderr()}\n${b.stderr()}`).toBe(1);
    for (const s of [a.stderr(), b.stderr()]) {
      expect(s).toContain('redis connected');
      expect(s).not.toContain('redis unavailable');
    }
  });
});
