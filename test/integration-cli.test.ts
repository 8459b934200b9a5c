/**
 * The built CLI as a user runs it: `node dist/cli/main.js …` in a child process, against the
 * simulator running in this process. Checks exit codes and what lands on stdout and stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { OPTIONS, envName } from '../src/config/options.js';
import { ipOf, proxyGet } from './helpers/http-client.js';
import { startSim, stopAll } from './helpers/swivel.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const RUN_TIMEOUT_MS = 8_000;

/** The machine's SWIVEL_* settings must not reach the CLI under test. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SWIVEL_')) env[key] = value;
  return env;
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  await stopAll();
});

function start(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`swivel ${args.join(' ')} did not exit within ${RUN_TIMEOUT_MS}ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Run to completion. */
async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = start(args);
  const { code } = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Resolves once stdout has a line matching `pattern`; rejects if the process exits first or time runs out. */
function waitForLine(r: Run, pattern: RegExp, timeoutMs = RUN_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const line = r
        .stdout()
        .split('\n')
        .find((l) => pattern.test(l));
      if (line === undefined) return;
      cleanup();
      resolve(line);
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`exited before printing ${pattern}\nstdout: ${r.stdout()}\nstderr: ${r.stderr()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no line matching ${pattern} within ${timeoutMs}ms\nstdout: ${r.stdout()}\nstderr: ${r.stderr()}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      r.child.stdout!.off('data', check);
      r.child.off('exit', onExit);
    };
    r.child.stdout!.on('data', check);
    r.child.once('exit', onExit);
    check();
  });
}

const STACK_FRAME = /^\s+at /m;

/** `serve` against the simulator on ephemeral ports, with extra flags after. */
function serveArgs(sim: { apiBase: string; appKey: string }, ...extra: string[]): string[] {
  return [
    'serve',
    '--port',
    '0',
    '--socks-port',
    '0',
    '--api-base',
    sim.apiBase,
    '--app-key',
    sim.appKey,
    '--allow-private-endpoints',
    ...extra,
  ];
}

describe('swivel CLI', () => {
  it('serve with a key the provider rejects: exit 2, one plain stderr line, no key, no stack', async () => {
    const sim = await startSim({ upstreams: 2 });
    const wrongKey = 'wrong-K3Y-0123456789abcdef';
    const r = await run(serveArgs({ apiBase: sim.apiBase, appKey: wrongKey }));
    expect(r.code).toBe(2);
    // One line in all: no JSON log line about the failed extraction besides the sentence.
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^swivel: /);
    expect(lines[0]).toMatch(/app.key/i);
    expect(r.stderr).not.toContain(wrongKey);
    expect(r.stdout).not.toContain(wrongKey);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('serve --num abc: exit 2 quoting the bad value', async () => {
    const r = await run(['serve', '--num', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^swivel: .*--num.*`abc`/m);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('--api-url: exit 2 with a hint to --api-base', async () => {
    const r = await run(['--api-url', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^swivel: .*--api-base/m);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('extract prints one endpoint per line, and JSON with --json', async () => {
    const sim = await startSim({ upstreams: 3 });
    const ids = sim.upstreams.map((u) => u.id);
    const text = await run(['extract', '--api-base', sim.apiBase, '--app-key', sim.appKey]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual(ids);
    expect(text.stderr).toMatch(/^swivel: 3 endpoint/m);

    const json = await run(['extract', '--api-base', sim.apiBase, '--app-key', sim.appKey, '--json', '--cc', 'de']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { count: number; endpoints: Array<{ host: string; port: number; auth: boolean }> };
    const de = sim.upstreams.filter((u) => u.country === 'de');
    expect(parsed.count).toBe(de.length);
    expect(parsed.endpoints).toEqual(de.map((u) => ({ host: u.host, port: u.port, auth: false })));
    expect(sim.provider.calls.at(-1)).toMatchObject({ cc: 'de' });
    expect(json.stdout + json.stderr).not.toContain(sim.appKey);
  });

  it('--help documents every option with its environment variable', async () => {
    const r = await run(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const name of Object.keys(OPTIONS)) {
      expect(r.stdout, name).toContain(`--${name}`);
      expect(r.stdout, name).toContain(envName(name));
    }
  });

  it('demo --once exits 0 and prints a curl -x line', async () => {
    const r = await run(['demo', '--once', '--port', '0', '--socks-port', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s*curl -x http:\/\/127\.0\.0\.1:\d+ http:\/\/127\.0\.0\.1:\d+\/ip$/m);
  });

  it('serve on 0.0.0.0 without --auth warns, serves, and exits 0 on SIGTERM', async () => {
    const sim = await startSim({ upstreams: 2 });
    const r = start(serveArgs(sim, '--host', '0.0.0.0'));
    const line = await waitForLine(r, /listening/);
    const port = Number(/^swivel listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(line)?.[1]);
    expect(port, line).toBeGreaterThan(0);
    expect(r.stderr()).toMatch(/^swivel: WARNING: .*0\.0\.0\.0.*--auth/m);
    // One request through the announced port before stopping it.
    const reply = await proxyGet(port, `${sim.target.url}/ip`);
    expect(sim.upstreams.map((u) => u.localAddress)).toContain(ipOf(reply));
    r.child.kill('SIGTERM');
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(r.stderr()).not.toMatch(STACK_FRAME);
  });

  it('exits 0 on a SIGTERM sent the instant the listening line appears', async () => {
    const sim = await startSim({ upstreams: 2 });
    const r = start(serveArgs(sim));
    await waitForLine(r, /listening/);
    r.child.kill('SIGTERM');
    expect(await r.exited).toEqual({ code: 0, signal: null });
  });
});
