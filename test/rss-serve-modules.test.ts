/**
 * What an idle `serve` loads (issue 12, idle RSS): the built CLI in a child process with a module
 * hook that writes every resolved module URL to a file. Without an admin port, prom-client and the
 * admin server stay unloaded, as do the simulator, node-redis, yargs and the other commands' modules; with
 * --admin-port, prom-client loads (so the check can fail). No memory figures here: those are bench/memory.bench.mjs's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { getHeapSpaceStatistics } from 'node:v8';
import { lowMemoryGc } from '../src/cli/memory-trim.js';
import { freePort } from './helpers/ports.js';
import { startSim, stopAll } from './helpers/swivel.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const DIR = mkdtempSync(join(tmpdir(), 'swivel-rss-'));
const HOOKS = join(DIR, 'hooks.mjs');
const PRELOAD = join(DIR, 'preload.mjs');
writeFileSync(
  HOOKS,
  "import { appendFileSync } from 'node:fs';\n" +
    'export async function resolve(specifier, context, next) {\n' +
    '  const result = await next(specifier, context);\n' +
    "  appendFileSync(process.env.SWIVEL_TEST_MODULES, result.url + '\\n');\n" +
    '  return result;\n' +
    '}\n',
);
writeFileSync(PRELOAD, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(HOOKS).href)});\n`);

afterAll(async () => {
  await stopAll();
  rmSync(DIR, { recursive: true, force: true });
});

/** Run `serve` until its start line, stop it with SIGTERM, and return the module URLs it resolved. */
async function modulesOfServe(extra: string[]): Promise<string[]> {
  const sim = await startSim();
  const list = join(DIR, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(list, '');
  const env: NodeJS.ProcessEnv = { SWIVEL_TEST_MODULES: list };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SWIVEL_')) env[key] = value;
  const args = ['--import', pathToFileURL(PRELOAD).href, CLI, 'serve', '--port', '0', '--socks-port', '0'];
  args.push('--api-base', sim.apiBase, '--app-key', sim.appKey, '--allow-private-endpoints', '--log-level', 'warn', ...extra);
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('\n')) resolve();
    });
    void exited.then(() => reject(new Error(`serve exited before its start line: ${out} ${err}`)));
  });
  expect(out).toContain('swivel listening on');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  clearTimeout(timer);
  return readFileSync(list, 'utf8').split('\n').filter(Boolean);
}

const dist = (path: string): RegExp => new RegExp(`/dist/${path.replace(/[./]/g, (c) => `\\${c}`)}$`);

describe('modules an idle serve loads', () => {
  it('without an admin port: no prom-client, admin server, simulator, redis or other commands', async () => {
    const modules = await modulesOfServe([]);
    expect(modules.some((m) => dist('app.js').test(m))).toBe(true);
    const unwanted = [
      /\/node_modules\/prom-client\//,
      /\/node_modules\/(@redis|redis)\//,
      dist('admin/server.js'),
      dist('admin/metrics.js'),
    ];
    unwanted.push(/\/dist\/sim\//, dist('cli/demo.js'), dist('cli/extract.js'), dist('cli/status.js'));
    // A plain serve line is parsed without yargs (cli/fast-serve.ts).
    unwanted.push(/\/node_modules\/yargs\//, /\/node_modules\/cliui\//, dist('cli/account/index.js'));
    for (const pattern of unwanted) expect(modules.filter((m) => pattern.test(m))).toEqual([]);
  });

  it('with an admin port: prom-client and the admin server load', async () => {
    const modules = await modulesOfServe(['--admin-port', String(await freePort())]);
    expect(modules.some((m) => /\/node_modules\/prom-client\//.test(m))).toBe(true);
    expect(modules.some((m) => dist('admin/server.js').test(m))).toBe(true);
  });
});

describe('memory trim', () => {
  it('a low-memory GC shrinks a grown young generation back', async () => {
    const newSpace = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
    // Short-lived garbage grows new space (unless the test runner's worker already grew it).
    let made = 0;
    for (let round = 0; round < 50 && newSpace() <= 2 * 1024 * 1024; round++) {
      made += Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` })).length;
    }
    expect(made % 200_000).toBe(0);
    expect(newSpace()).toBeGreaterThan(2 * 1024 * 1024);
    expect(await lowMemoryGc()).toBe(true);
    expect(newSpace()).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});
