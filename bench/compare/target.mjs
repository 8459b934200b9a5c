// The target every load ends at (its own process, forked with IPC): `GET /` answers a small body
// (request loads, and the request inside each CONNECT tunnel), `GET /bulk` answers BULK_BYTES.
// It counts what it served so the orchestrator can check that the client's successes really
// reached it. Loopback only; exits when the orchestrator goes away.
import http from 'node:http';

const BULK_BYTES = Number(process.argv[2] ?? 10 * 1024 * 1024);
const SMALL = Buffer.from('hello from the target\n');
const BULK = Buffer.alloc(BULK_BYTES, 'x');
const served = { small: 0, bulk: 0, other: 0 };

const server = http.createServer((req, res) => {
  if (req.url === '/' || req.url === '/small') {
    served.small++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': SMALL.length });
    res.end(SMALL);
  } else if (req.url === '/bulk') {
    served.bulk++;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BULK.length });
    res.end(BULK);
  } else {
    served.other++;
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  }
});
// Keep idle keep-alive sockets from the proxies open across a load window.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));

process.on('message', (m) => {
  if (m.type === 'stats') process.send({ id: m.id, served: { ...served } });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
