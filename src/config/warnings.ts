/** Start-up warnings about exposure: printed loudly by the CLI, never fatal. */
import type { SwivelConfig } from './types.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

export function securityWarnings(config: SwivelConfig): string[] {
  const out: string[] = [];
  if (!isLoopbackHost(config.listen.host) && config.listen.auth === undefined) {
    out.push(
      `WARNING: listening on ${config.listen.host} without --auth: anyone who can reach this address can use your proxy traffic. Pass --auth user:pass or bind 127.0.0.1.`,
    );
  }
  if (!isLoopbackHost(config.listen.host) && config.listen.sessionPorts !== undefined) {
    out.push(
      `WARNING: --session-ports on ${config.listen.host} take no credentials (not even --auth): anyone who can reach them can use your proxy traffic. Bind 127.0.0.1 or firewall the range.`,
    );
  }
  if (config.listen.adminPort !== 0 && !isLoopbackHost(config.admin.host) && config.admin.auth === undefined) {
    out.push(
      `WARNING: admin port on ${config.admin.host} without --admin-auth: anyone who can reach it can read /metrics and /status. Pass --admin-auth user:pass or bind 127.0.0.1.`,
    );
  }
  return out;
}
