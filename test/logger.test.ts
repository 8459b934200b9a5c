/**
 * Secrets never reach a log line. The sink is built by the app's own logger factory, so these are
 * the real redaction rules, exercised by a real run at debug level.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogSink } from './helpers/log-sink.js';
import { proxyGet } from './helpers/http-client.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

const APP_KEY = 'k3y-canary-7f1c9a';
const UPSTREAM_PASS = 'up-canary-pw-55';
const CLIENT_PASS = 'client-canary-pw-91';

describe('log redaction', () => {
  it('blanks app_key, passwords and Proxy-Authorization fields', () => {
    const sink = createLogSink();
    sink.logger.info(
      {
        app_key: APP_KEY,
        password: UPSTREAM_PASS,
        req: { headers: { authorization: 'Basic c2VjcmV0' } },
        headers: { 'proxy-authorization': `Basic ${CLIENT_PASS}` },
      },
      'canary',
    );
    const line = JSON.stringify(sink.records);
    expect(line).toContain('canary');
    for (const secret of [APP_KEY, UPSTREAM_PASS, CLIENT_PASS, 'c2VjcmV0']) expect(line).not.toContain(secret);
    expect(sink.find('canary')[0]).toMatchObject({ app_key: '[redacted]', password: '[redacted]' });
  });

  it('a debug-level run with upstream credentials, client auth and failures logs none of the secrets', async () => {
    const h = await startSwivel({
      sim: { appKey: APP_KEY, upstreamAuth: { username: 'upuser', password: UPSTREAM_PASS } },
      flags: { 'app-key': APP_KEY, auth: `alice:${CLIENT_PASS}`, 'log-level': 'debug' },
    });
    await h.sim.upstreams[0]!.setMode('auth-407');
    await h.sim.upstreams[1]!.setMode('refuse');
    for (let i = 0; i < 6; i++) await proxyGet(h.port, h.ipUrl, { username: 'alice', password: CLIENT_PASS });
    await proxyGet(h.port, h.ipUrl, { username: 'alice', password: 'wrong' });
    expect(h.logs.records.length).toBeGreaterThan(0);
    const all = JSON.stringify(h.logs.records);
    for (const secret of [APP_KEY, UPSTREAM_PASS, CLIENT_PASS]) expect(all).not.toContain(secret);
  });
});
