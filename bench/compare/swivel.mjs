// swivel under test: `node <build>/cli/main.js serve`, fed the four upstreams by --proxies-file.
// What the peers do not do is turned off or out of the way: no SOCKS5 listener, no admin port,
// no access log, warn-level logging, active probes pushed past the run (--probe-idle 1h; under
// load every endpoint is used anyway), endpoint lifetime past the run (no refresh mid-load).
// Passive health and retries stay on: they are what swivel is, and cost nothing on success.
import { openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, spawnProc } from './procs.mjs';

export async function startSwivel({ tmp, label, mainJs, upstreamPorts, extraArgs }) {
  const slug = label.replace(/[^a-z0-9]+/gi, '-');
  const file = path.join(tmp, `${slug}-proxies.txt`);
  writeFileSync(file, upstreamPorts.map((p) => `127.0.0.1:${p}\n`).join(''));
  const port = await freePort();
  const args = [
    mainJs,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--socks-port',
    '0',
    '--admin-port',
    '0',
    '--proxies-file',
    file,
    '--allow-private-endpoints',
    '--num',
    String(upstreamPorts.length),
    '--life',
    '120',
    '--probe-idle',
    '1h',
    '--log-level',
    'warn',
    ...extraArgs,
  ];
  // Only our flags: a SWIVEL_* variable in the caller's environment must not change the setup.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWIVEL_')));
  const log = path.join(tmp, `${slug}.log`);
  const child = spawnProc(label, process.execPath, args, { env, logFd: openSync(log, 'a') });
  return { ...child, port, log };
}
