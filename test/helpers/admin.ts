/** Admin-port helpers: a free port to pass as --admin-port (0 means off there), and GETs. */
import http from 'node:http';

export { freePort } from './socks-client.js';

export interface AdminReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function adminGet(port: number, path: string, auth?: string, timeoutMs = 3_000): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    if (auth !== undefined) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}
