// The naive rotator: what a user writes in twenty lines with proxy-chain — a Server whose
// prepareRequestFunction hands each request (and each CONNECT) the next upstream, round-robin.
// No health, no retries, no pool. Usage: naive-rotator.mjs <upstream-port>... (forked with IPC).
import { Server } from 'proxy-chain';

const upstreams = process.argv.slice(2).map((port) => `http://127.0.0.1:${port}`);
let next = 0;
const server = new Server({
  port: 0,
  host: '127.0.0.1',
  verbose: false,
  prepareRequestFunction: () => {
    const upstreamProxyUrl = upstreams[next];
    next = (next + 1) % upstreams.length;
    return { upstreamProxyUrl };
  },
});
await server.listen();
process.send({ ready: true, port: server.port });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
