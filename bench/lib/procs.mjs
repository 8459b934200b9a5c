// Shared plumbing for the process benches (tunnel, memory, forward, proxy): child processes that print one JSON/start line,
// /proc readings of a child, and minimal CONNECT / SOCKS5 clients on raw sockets (so the load
// generator's own cost stays small and the proxy sees exactly the bytes a real client sends).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';

const children = new Set();
// A bench that throws must not leave its children running.
process.on('exit', () => {
  for (const p of children) p.kill('SIGKILL');
});

/** Kill every child and exit after `seconds` (a hung case must not hang the bench). */
export function watchdog(seconds) {
  setTimeout(() => {
    console.error(`bench: gave up after ${seconds} s`);
    process.exit(2);
  }, seconds * 1000).unref();
}

/** Spawn `node ...args`; resolves its first stdout line. */
export function child(args, { env = {}, nodeArgs = [], cwd = process.cwd() } = {}) {
  const p = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  children.add(p);
  p.on('exit', () => children.delete(p));
  let buf = '';
  const firstLine = new Promise((resolve, reject) => {
    p.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl !== -1) resolve(buf.slice(0, nl));
    });
    p.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
  firstLine.catch(() => undefined);
  return { p, firstLine };
}

export async function stopChild(c) {
  if (c.p.exitCode !== null || c.p.signalCode !== null) return;
  const exited = once(c.p, 'exit');
  c.p.kill('SIGTERM');
  const timer = setTimeout(() => c.p.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Start `swivel serve` from `main` (a dist/cli/main.js) against the simulator; returns ports and pid. */
export async function startSwivel(main, sim, extra = [], nodeArgs = []) {
  // --socks-port 0 means "off", so the SOCKS listener gets a port picked free just before.
  const socks = await freePort();
  const c = child(
    [
      main,
      'serve',
      '--port',
      '0',
      '--socks-port',
      String(socks),
      '--admin-port',
      '0',
      '--allow-private-endpoints',
      '--num',
      '8',
      '--log-level',
      'warn',
      ...extra,
    ],
    { env: { SWIVEL_API_BASE: sim.apiBase, SWIVEL_APP_KEY: sim.appKey }, nodeArgs },
  );
  const line = await c.firstLine;
  const httpPort = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
  const socksPort = Number(/socks5:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
  return { ...c, pid: c.p.pid, httpPort, socksPort };
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** User+system CPU of a process in ms, all threads (/proc/<pid>/stat; 10 ms ticks). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 (utime, stime) are at 11 and 12 after the comm field
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/** VmRSS of a process in KiB. */
export function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Read from `socket` until `test(buffer)` returns a length >= 0 (bytes that belong to the reply). */
function readUntil(socket, test) {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk) => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
      let n;
      try {
        n = test(got);
      } catch (err) {
        done(err);
        return;
      }
      if (n >= 0) done(undefined, got.subarray(n));
    };
    const onEnd = () => done(new Error('closed during handshake'));
    const done = (err, rest) => {
      socket.off('data', onData);
      socket.off('error', onEnd);
      socket.off('end', onEnd);
      socket.pause();
      if (err) reject(err);
      else resolve(rest);
    };
    socket.on('data', onData);
    socket.on('error', onEnd);
    socket.on('end', onEnd);
    socket.resume();
  });
}

/** Open a tunnel to 127.0.0.1:targetPort through the proxy; resolves { socket, rest }. */
export async function openTunnel(kind, proxyPort, targetPort) {
  const socket = net.connect({ host: '127.0.0.1', port: proxyPort });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  let rest;
  if (kind === 'connect') {
    const authority = `127.0.0.1:${targetPort}`;
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    rest = await readUntil(socket, (b) => {
      const end = b.indexOf('\r\n\r\n');
      if (end === -1) return -1;
      if (!b.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 200')) throw new Error(`CONNECT: ${b.subarray(0, 40)}`);
      return end + 4;
    });
  } else {
    socket.write(Buffer.from([5, 1, 0]));
    await readUntil(socket, (b) => {
      if (b.length < 2) return -1;
      if (b[0] !== 5 || b[1] !== 0) throw new Error('SOCKS method refused');
      return 2;
    });
    const req = Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, targetPort >> 8, targetPort & 0xff]);
    socket.write(req);
    rest = await readUntil(socket, (b) => {
      if (b.length < 10) return -1;
      if (b[1] !== 0) throw new Error(`SOCKS reply ${b[1]}`);
      return 10;
    });
  }
  return { socket, rest };
}

/** Resolve when `socket` ends; counts bytes received (after `rest`). */
export function drainToEnd(socket, rest) {
  return new Promise((resolve, reject) => {
    let bytes = rest.length;
    socket.on('data', (c) => (bytes += c.length));
    socket.on('end', () => {
      socket.destroy();
      resolve(bytes);
    });
    socket.on('error', reject);
    socket.resume();
  });
}
