/**
 * `swivel demo`: the whole product offline. Starts the simulator (a provider gateway speaking the
 * /ip/v3 shape, upstream proxies that each leave through their own loopback address, and an echo
 * target whose /ip answers the caller's address), puts `serve` in front of it, proves rotation
 * with a few requests of its own, and prints ready-to-paste curl lines.
 */
import http from 'node:http';
import { loadConfig, type RawFlags } from '../config/load.js';
import { createLogger } from '../logger.js';
import { startSimulation, type Simulation } from '../sim/index.js';
import type { SwivelApp } from '../app.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { reportError, stdio, type Output } from './output.js';
import { startApp, type Running } from './serve.js';

/** GET `url` through the HTTP proxy at `proxyPort`; resolves the body. Bounded by a timeout. */
export function getViaProxy(proxyPort: number, url: string, username?: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { host: new URL(url).host };
    if (username !== undefined) headers['proxy-authorization'] = `Basic ${Buffer.from(`${username}:x`).toString('base64')}`;
    const req = http.request({ host: '127.0.0.1', port: proxyPort, path: url, headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function showRotation(app: SwivelApp, sim: Simulation, output: Output): Promise<void> {
  const ipUrl = `${sim.target.url}/ip`;
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) seen.push((JSON.parse(await getViaProxy(app.http.port, ipUrl)) as { ip: string }).ip);
  const sticky: string[] = [];
  for (let i = 0; i < 3; i++) sticky.push((JSON.parse(await getViaProxy(app.http.port, ipUrl, 'session-demo')) as { ip: string }).ip);
  output.out(`  4 requests left from:        ${seen.join(', ')}`);
  output.out(`  3 with session-demo, from:   ${sticky.join(', ')}`);
}

export async function demoCommand(flags: RawFlags, once: boolean, output: Output = stdio): Promise<ExitCode> {
  let sim: Simulation | undefined;
  let running: Running | undefined;
  try {
    sim = await startSimulation();
    const config = loadConfig({
      ...flags,
      'api-base': sim.apiBase,
      'app-key': sim.appKey,
      'allow-private-endpoints': true,
      'log-level': flags['log-level'] ?? 'warn',
    });
    const log = createLogger({ level: config.logLevel });
    running = await startApp(config, output, log);
    const { app } = running;
    const proxy = `http://127.0.0.1:${app.http.port}`;
    output.out(`demo: simulated provider at ${sim.apiBase} with ${sim.upstreams.length} upstreams (countries us, de, gb)`);
    await showRotation(app, sim, output);
    output.out('Try it:');
    output.out(`  curl -x ${proxy} ${sim.target.url}/ip`);
    output.out(`  curl -x http://session-abc-country-de:x@127.0.0.1:${app.http.port} ${sim.target.url}/ip`);
    if (app.socks !== undefined) output.out(`  curl --socks5-hostname 127.0.0.1:${app.socks.port} ${sim.target.url}/ip`);
    const ports = app.config.listen.sessionPorts;
    if (ports !== undefined)
      output.out(`  curl --socks5-hostname 127.0.0.1:${ports.first} ${sim.target.url}/ip      # session port: sticky, no credentials`);
    output.out(
      'Break an upstream while a loop runs, and watch the log eject it (modes: refuse, silent, auth-407, reset-before-headers, ok):',
    );
    output.out(`  curl -X POST ${sim.provider.url}/sim/upstreams/1/refuse      # list them: curl ${sim.provider.url}/sim/upstreams`);
    if (app.admin !== undefined) {
      output.out(`Admin: status page ${app.admin.url}/  ·  metrics ${app.admin.url}/metrics  ·  swivel status --admin ${app.admin.url}`);
    }
    output.out('The simulated provider serves the account API too (proxy accounts, allowlist, usage, orders, …):');
    output.out(`  swivel accounts list --api-base ${sim.apiBase} --app-key ${sim.appKey}      # also: usage, orders list, geo countries`);
    if (once) {
      await app.stop();
      return EXIT.OK;
    }
    output.out('Press Ctrl-C to stop.');
    return await running.stopped;
  } catch (err) {
    await running?.app.stop();
    return reportError(err, output);
  } finally {
    await sim?.close();
  }
}
