// A raw TCP target for tunnel benches, in its own process: each connection sends one command line,
// `D <bytes>\n` (the target sends that many bytes, then ends) or `U <bytes>\n` (the client sends that
// many bytes; the target answers `ok\n` and ends once they all arrived). Prints its port as one JSON
// line; runs until stdin closes or SIGTERM. Loopback only; buffers are reused so the target's own
// cost stays low and constant.
import net from 'node:net';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

function download(socket, bytes) {
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
}

const server = net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  let head = '';
  let mode;
  let left = 0;
  socket.on('data', (chunk) => {
    if (mode === 'U') {
      left -= chunk.length;
      if (left <= 0) socket.end('ok\n');
      return;
    }
    if (mode !== undefined) return;
    head += chunk.toString('latin1');
    const nl = head.indexOf('\n');
    if (nl === -1) {
      if (head.length > 64) socket.destroy();
      return;
    }
    mode = head[0];
    const bytes = Math.min(Number(head.slice(2, nl)), 1 << 30);
    if (mode === 'D') download(socket, bytes);
    else if (mode === 'U') {
      left = bytes - (head.length - nl - 1);
      if (left <= 0) socket.end('ok\n');
    } else socket.destroy();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
const stop = () => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
