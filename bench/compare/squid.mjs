// Squid with the four upstreams as round-robin parents: the configuration template and its start.
// Cache off (nothing stored, no disk cache), never direct, no access log (swivel, the naive
// rotator and HAProxy log nothing per request either), no Via/X-Forwarded-For added (the other
// proxies add none), nothing on the network: DNS is pointed at loopback and never used, since
// every parent is an IP literal and never_direct forbids going to the target itself.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, spawnProc } from './procs.mjs';

export function squidConf({ port, dir, upstreamPorts, runAsUser }) {
  return [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${dir}/squid.pid`,
    `cache_log ${dir}/cache.log`,
    `coredump_dir ${dir}`,
    'access_log none',
    'cache_store_log none',
    'netdb_filename none',
    'logfile_rotate 0',
    '# cache off: no cache_dir (memory only), nothing admitted to it',
    'cache deny all',
    'cache_mem 0 MB',
    '# every request goes to a parent, picked round-robin; no ICP/HTCP queries, no cache digests',
    '# fetched from the parents (they would show as stray requests at the upstreams), no ICMP pinger',
    'never_direct allow all',
    ...upstreamPorts.map((p, i) => `cache_peer 127.0.0.1 parent ${p} 0 no-query no-digest round-robin name=u${i + 1}`),
    'icp_port 0',
    'htcp_port 0',
    'digest_generation off',
    'pinger_enable off',
    'dns_nameservers 127.0.0.1',
    '# loopback bench: any client, any port (CONNECT to the target port is not 443)',
    'http_access allow all',
    'via off',
    'forwarded_for delete',
    'max_filedescriptors 8192',
    '# stop at once on SIGTERM instead of waiting 30 s for clients',
    'shutdown_lifetime 0 seconds',
    ...(runAsUser ? [`cache_effective_user ${runAsUser}`] : []),
    '',
  ].join('\n');
}

export function squidVersion() {
  try {
    return execFileSync('squid', ['-v'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return undefined;
  }
}

export async function startSquid({ tmp, upstreamPorts }) {
  if (squidVersion() === undefined) return { skipped: 'squid not found in PATH' };
  const dir = path.join(tmp, 'squid');
  mkdirSync(dir, { recursive: true });
  // Run as root, squid drops to cache_effective_user, which must be able to write its pid and log.
  const root = process.getuid?.() === 0;
  if (root) {
    chmodSync(tmp, 0o711); // mkdtemp makes it 0700: let squid's user reach its own directory
    chmodSync(dir, 0o777);
  }
  const port = await freePort();
  const conf = path.join(dir, 'squid.conf');
  writeFileSync(conf, squidConf({ port, dir, upstreamPorts, runAsUser: root ? 'proxy' : undefined }));
  const logFd = openSync(path.join(dir, 'stdout.log'), 'a');
  const child = spawnProc('squid', 'squid', ['-N', '-f', conf], { logFd });
  return { ...child, port, log: path.join(dir, 'cache.log') };
}
