/** Free loopback ports for tests that must name a port up front (a session-port range). */
import net from 'node:net';
import { freePort } from './socks-client.js';

export { freePort };

const LOW = 20000;
const HIGH = 32000;

/**
 * A run of `n` consecutive free ports, checked by binding them all; retried a few times. Drawn
 * below Linux's ephemeral range (32768–60999): a port from that range can be taken between this
 * check and the test's bind by any other test's listen(0) or outgoing connection, which made a
 * "port in use" test name the wrong port in CI.
 */
export async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = LOW + Math.floor(Math.random() * (HIGH - LOW - n));
    const held: net.Server[] = [];
    let ok = true;
    for (let p = first; p < first + n && ok; p++) {
      const s = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(p, '127.0.0.1', () => resolve(true));
      });
      if (ok) held.push(s);
    }
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    if (ok) return first;
  }
  throw new Error('no free port range');
}
