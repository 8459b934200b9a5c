/**
 * The container recipe and the sidecar manifest can't run here (no container runtime), so their
 * promises are checked as text: the grace period covers the drain, the probes point at the
 * admin endpoints, the key comes from a Secret, the image runs unprivileged.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/config/duration.js';

const root = new URL('..', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

describe('Dockerfile and deploy/kubernetes', () => {
  it('Dockerfile: multi-stage, runtime deps only, non-root, admin port exposed, HEALTHCHECK on /healthz, exec-form entrypoint', () => {
    const d = read('Dockerfile');
    expect(d.match(/^FROM /gm)?.length).toBe(2);
    expect(d).toMatch(/npm ci --omit=dev/);
    expect(d).toMatch(/^USER node$/m);
    expect(d).toMatch(/^EXPOSE .*\b9090\b/m);
    expect(d).toMatch(/^HEALTHCHECK[\s\S]*\/healthz/m);
    expect(d).toMatch(/^ENTRYPOINT \["node", "dist\/cli\/main.js"\]$/m);
  });

  it('pod: native sidecar, probes on /healthz and /readyz, key from a Secret, grace period above the drain', () => {
    const p = read('deploy/kubernetes/pod.yaml');
    expect(p).toMatch(/initContainers:\s*\n\s*- name: swivel[\s\S]*restartPolicy: Always/);
    expect(p).toMatch(/livenessProbe:\s*\n\s*httpGet: \{ path: \/healthz/);
    expect(p).toMatch(/readinessProbe:\s*\n\s*httpGet: \{ path: \/readyz/);
    expect(p).toMatch(/SWIVEL_APP_KEY\s*\n\s*valueFrom:\s*\n\s*secretKeyRef:/);
    expect(p).not.toMatch(/--app-key/);
    const drainMs = parseDuration(/--drain-timeout=(\S+)/.exec(p)![1]!)!;
    const graceS = Number(/terminationGracePeriodSeconds: (\d+)/.exec(p)![1]);
    expect(graceS * 1000).toBeGreaterThan(drainMs + 5_000);
  });
});
