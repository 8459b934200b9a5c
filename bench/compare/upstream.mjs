// One upstream HTTP proxy (proxy-chain, its own process, forked with IPC), as a provider's exit
// would be. It counts the requests and CONNECTs it handled, so the orchestrator can check that a
// proxy under test forwarded through the upstreams (and how evenly it spread over them).
import { Server } from 'proxy-chain';

const handled = { http: 0, connect: 0 };
const server = new Server({
  port: 0,
  host: '127.0.0.1',
  verbose: false,
  prepareRequestFunction: ({ isHttp }) => {
    if (isHttp) handled.http++;
    else handled.connect++;
    return {};
  },
});
await server.listen();
process.send({ ready: true, port: server.port });

process.on('message', (m) => {
  if (m.type === 'stats') process.send({ id: m.id, handled: { ...handled } });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
