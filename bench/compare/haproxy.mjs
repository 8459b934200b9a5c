// HAProxy in tcp mode, round-robin over the four upstreams: the configuration template and its
// start. It does not parse HTTP, it hands each client connection to the next upstream and
// relays bytes, so it rotates per connection, not per request: the 50 kept-alive connections of
// the plain load stay on the upstream they were given. It is the byte-relay floor of the table.
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, spawnProc } from './procs.mjs';

export function haproxyCfg({ port, upstreamPorts, threads }) {
  return [
    'global',
    '  maxconn 8192',
    `  nbthread ${threads}`,
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    'frontend bench',
    `  bind 127.0.0.1:${port}`,
    '  default_backend upstreams',
    'backend upstreams',
    '  balance roundrobin',
    ...upstreamPorts.map((p, i) => `  server u${i + 1} 127.0.0.1:${p}`),
    '',
  ].join('\n');
}

export function haproxyVersion() {
  try {
    return execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return undefined;
  }
}

export async function startHaproxy({ tmp, upstreamPorts, threads }) {
  if (haproxyVersion() === undefined) return { skipped: 'haproxy not found in PATH' };
  const dir = path.join(tmp, 'haproxy');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const cfg = path.join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyCfg({ port, upstreamPorts, threads }));
  const logFd = openSync(path.join(dir, 'haproxy.log'), 'a');
  // -db: stay in the foreground, no daemon, no master process (the pid we hold is the proxy).
  const child = spawnProc('haproxy', 'haproxy', ['-db', '-f', cfg], { logFd });
  return { ...child, port, log: path.join(dir, 'haproxy.log') };
}
