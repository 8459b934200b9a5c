/** Free loopback ports for tests that must name a port up front (a session-port range). */
import net from 'node:net';
import { freePort } from './socks-client.js';

export { freePort };

/** A run of `n` consecutive free ports, checked by binding them all; retried a few times. */
export async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await freePort();
    if (first + n > 65535) continue;
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
