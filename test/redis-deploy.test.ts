/**
 * The multi-replica examples can't run here (no container runtime), so their promises are checked
 * as text: three replicas, the Redis URL (which carries a password) only from a Secret or the
 * environment, a Redis without persistence, and a grace period above the drain.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/config/duration.js';

const root = new URL('..', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

describe('deploy/ multi-replica examples', () => {
  it('kubernetes: 3 swivel replicas behind a Service, SWIVEL_REDIS_URL from the Secret, a Redis Service, grace above the drain', () => {
    const y = read('deploy/kubernetes/replicas.yaml');
    expect(y).toMatch(/kind: Deployment\s*\nmetadata:\s*\n\s*name: swivel\n[\s\S]*?replicas: 3/);
    expect(y).toMatch(/SWIVEL_REDIS_URL\s*\n\s*valueFrom:\s*\n\s*secretKeyRef: \{ name: swivel, key: redis-url \}/);
    expect(y).toMatch(/SWIVEL_APP_KEY\s*\n\s*valueFrom:\s*\n\s*secretKeyRef:/);
    expect(y).not.toMatch(/^\s*- --(redis-url|app-key)/m);
    expect(y).toMatch(/name: swivel-redis[\s\S]*--save "" --appendonly no --requirepass/);
    expect(y).toMatch(/kind: Service\s*\nmetadata:\s*\n\s*name: swivel-redis/);
    // --host=0.0.0.0 needs --auth (SWIVEL_AUTH), or swivel warns loudly.
    expect(y).toMatch(/--host=0\.0\.0\.0[\s\S]*SWIVEL_AUTH\s*\n\s*valueFrom:/);
    const drainMs = parseDuration(/--drain-timeout=(\S+)/.exec(y)![1]!)!;
    const graceS = Number(/terminationGracePeriodSeconds: (\d+)/.exec(y)![1]);
    expect(graceS * 1000).toBeGreaterThan(drainMs + 5_000);
    const secret = read('deploy/kubernetes/secret.example.yaml');
    for (const key of ['app-key', 'redis-url', 'redis-password', 'proxy-auth']) expect(secret).toContain(`${key}:`);
  });

  it('compose: two replicas on two ports, one Redis, the URL built from the environment', () => {
    const c = read('deploy/compose.yaml');
    expect(c).toMatch(/swivel-a:[\s\S]*8081:8080/);
    expect(c).toMatch(/swivel-b:[\s\S]*8082:8080/);
    expect(c).toMatch(/SWIVEL_REDIS_URL: redis:\/\/:\$\{REDIS_PASSWORD\}@redis:6379/);
    expect(c).not.toMatch(/--redis-url=/);
  });
});
