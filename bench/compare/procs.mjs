// Child processes of `bench:compare`: start, wait for, ask, and stop them; and read their CPU time
// from /proc. Everything started goes through here so that one stopAll() (on the normal end, an
// error, Ctrl-C or SIGTERM) stops exactly what this run started, by pid, and nothing else.
import { fork, spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

const children = new Set();

/** Ticks per second of the utime/stime fields in /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function track(name, proc) {
  const entry = { name, proc, exited: false };
  children.add(entry);
  proc.once('exit', () => {
    entry.exited = true;
    children.delete(entry);
  });
  return proc;
}

/** A Node child with an IPC channel; resolves with its first message (`{ ready: true, ... }`). */
export async function forkNode(name, file, args = [], { execArgv = [], env = process.env } = {}) {
  const proc = track(name, fork(file, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv, env }));
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not get ready in 15 s`)), 15_000);
    proc.once('message', (m) => (clearTimeout(timer), resolve(m)));
    proc.once('exit', (code, sig) => (clearTimeout(timer), reject(new Error(`${name} exited (${code ?? sig}) before it was ready`))));
  });
  return { name, proc, pid: proc.pid, ...ready };
}

/** A non-IPC child (squid, haproxy, swivel); output goes to `logFd` (a file) so pipes never fill up. */
export function spawnProc(name, cmd, args, { env = process.env, logFd = 'ignore' } = {}) {
  const proc = track(name, spawn(cmd, args, { stdio: ['ignore', logFd, logFd], env }));
  proc.once('error', () => {}); // ENOENT etc. surface as the readiness check failing, with the log named
  return { name, proc, pid: proc.pid };
}

let seq = 0;
/** Request/response over a forked child's IPC channel (stats counters). */
export function ask(child, message, timeoutMs = 5_000) {
  const id = ++seq;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (child.proc.off('message', on), reject(new Error(`${child.name}: no answer to ${message.type}`))),
      timeoutMs,
    );
    function on(m) {
      if (m?.id !== id) return;
      clearTimeout(timer);
      child.proc.off('message', on);
      resolve(m);
    }
    child.proc.on('message', on);
    child.proc.send({ ...message, id });
  });
}

/** A port free on 127.0.0.1 right now (for squid/haproxy/swivel, which take a port number). */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function statFields(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU ticks (user + system) of `pid` and every live descendant, plus what their reaped children
 * used (cutime/cstime), so a proxy that forks helpers is charged for them. Threads are included:
 * /proc/<pid>/stat sums all threads of a process (Node's GC and libuv threads, HAProxy's threads).
 */
export function treeCpuTicks(pid) {
  const parentOf = new Map();
  for (const d of readdirSync('/proc')) {
    if (d.charCodeAt(0) < 48 || d.charCodeAt(0) > 57) continue;
    try {
      parentOf.set(Number(d), Number(statFields(d)[1]));
    } catch {
      // exited between readdir and read
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  let ticks = 0;
  for (const p of tree) {
    try {
      const f = statFields(p);
      // After the name: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime.
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      if (p === pid) throw new Error(`process ${pid} is gone`);
    }
  }
  return ticks;
}

export const ticksToMicros = (ticks) => (ticks * 1e6) / CLK_TCK;

/** SIGTERM every child still running, SIGKILL what is left after `graceMs`. */
export async function stopAll(graceMs = 3_000) {
  const live = [...children].filter((c) => !c.exited);
  for (const c of live) c.proc.kill('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some((c) => !c.exited)) await new Promise((r) => setTimeout(r, 50));
  for (const c of live) if (!c.exited) c.proc.kill('SIGKILL');
}

/** Last resort on process exit (synchronous): kill whatever is still ours. */
export function killAllSync() {
  for (const c of children) if (!c.exited) c.proc.kill('SIGKILL');
}

/** Run a command to its end (a load generator), tracked so Ctrl-C stops it too; collects stdout. */
export function runToEnd(name, cmd, args, timeoutMs) {
  const proc = track(name, spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    proc.once('error', (err) => (clearTimeout(timer), resolve({ code: -1, stdout, stderr: String(err) })));
    proc.once('close', (code, signal) => (clearTimeout(timer), resolve({ code: code ?? signal, stdout, stderr })));
  });
}
