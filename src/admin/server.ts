/**
 * The admin listener, apart from the proxy listeners: /healthz and /readyz for kubelets (never
 * behind auth), /metrics, /status (JSON) and / (the page), guarded by --admin-auth when given.
 * It stays up through a drain so /readyz can say 503 while requests finish; it closes last.
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { SwivelStats } from '../stats.js';
import type { SwivelMetrics } from './metrics.js';
import { renderStatusPage } from './page.js';

export interface Readiness {
  ready: boolean;
  reason?: string;
  detail?: string;
}

export interface AdminOptions {
  host: string;
  port: number;
  auth?: { username: string; password: string } | undefined;
  stats: () => SwivelStats;
  readiness: () => Readiness;
  /** Liveness: the proxy listeners accept (or are deliberately draining). */
  live: () => boolean;
  metrics: SwivelMetrics;
}

export class AdminListener {
  readonly server: http.Server;
  private readonly expectedAuth: Buffer | undefined;

  constructor(private readonly options: AdminOptions) {
    const { auth } = options;
    this.expectedAuth =
      auth === undefined ? undefined : Buffer.from(`Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    try {
      if (path === '/healthz') {
        return this.options.live() ? send(res, 200, 'text/plain', 'ok\n') : send(res, 503, 'text/plain', 'listeners down\n');
      }
      if (path === '/readyz') {
        const r = this.options.readiness();
        return send(res, r.ready ? 200 : 503, 'application/json', `${JSON.stringify(r)}\n`);
      }
      if (path !== '/metrics' && path !== '/status' && path !== '/') return send(res, 404, 'text/plain', 'not found\n');
      if (!this.authorized(req)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="swivel admin"');
        return send(res, 401, 'text/plain', 'authentication required\n');
      }
      if (path === '/metrics') {
        return send(res, 200, this.options.metrics.registry.contentType, await this.options.metrics.text());
      }
      if (path === '/status') return send(res, 200, 'application/json', `${JSON.stringify(this.options.stats())}\n`);
      return send(res, 200, 'text/html; charset=utf-8', renderStatusPage(this.options.stats()));
    } catch {
      // Never a stack or a value on the admin port: a scrape failing is logged by whoever scrapes.
      send(res, 500, 'text/plain', 'internal error\n');
    }
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (this.expectedAuth === undefined) return true;
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === this.expectedAuth.length && timingSafeEqual(given, this.expectedAuth);
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
