/**
 * A real redis-server for the shared-tier tests and bench: Debian's `redis-server` on a free
 * loopback port, in a temp dir, no persistence, stopped (and the dir removed) by `stop()`.
 * `.ci/run` installs the package when it is missing; a developer machine without it skips the
 * Redis tests, while under CI a missing redis-server fails them (like chromium.ts).
 */
import { afterAll, beforeAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** The redis-server on PATH, if any. */
export const REDIS_SERVER: string | undefined = (() => {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
})();

/** Skip only where redis-server is missing and this is not CI (CI installs it, so missing there is a failure). */
export const SKIP_REDIS = REDIS_SERVER === undefined && process.env.CI !== 'true';
export const SKIP_REDIS_REASON = 'redis-server is not installed (apt-get install redis-server); the shared-tier tests need a real one';

export interface RedisServer {
  port: number;
  url: string;
  /** Kill it (SIGKILL: as abrupt as a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Start it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  if (REDIS_SERVER === undefined) throw new Error(SKIP_REDIS_REASON);
  const dir = mkdtempSync(join(tmpdir(), 'swivel-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    await waitForPort(port, 5_000);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once something accepts on 127.0.0.1:port (bounded). */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Poll `check` until it is true or `timeoutMs` passes (real I/O such as pub/sub delivery); returns the last answer. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * One redis-server for the enclosing describe: started before its tests, stopped after them.
 * Returns a getter, since the server exists only once beforeAll has run.
 */
export function useRedisServer(): () => RedisServer {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return () => {
    if (redis === undefined) throw new Error('redis-server is not started yet (use it inside a test)');
    return redis;
  };
}
