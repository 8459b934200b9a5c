/**
 * What a listener reports when a request or tunnel ends: the one hook the access log and the
 * request/tunnel metrics share. Built only when someone listens (admin or --access-log), so a
 * plain `swivel serve` pays nothing. No credentials and no query string ever go in here.
 */
export interface ProxyOutcome {
  listener: 'http' | 'socks';
  /** `request` for a plain absolute-URI request, `tunnel` for CONNECT and SOCKS5. */
  kind: 'request' | 'tunnel';
  /** Sub-pool key, when the request got as far as choosing one. */
  pool: string | undefined;
  endpoint: string | undefined;
  /** `ok` or the error code (errors.ts) the client was answered with. */
  code: string;
  /** HTTP status (requests, CONNECT) or SOCKS5 reply byte (SOCKS). */
  status: number;
  attempts: number;
  /** Client → upstream and upstream → client bytes. */
  bytesIn: number;
  bytesOut: number;
  /** From accept of the request until it ended (tunnels: until close). */
  durationMs: number;
  /** Until the client got its answer head or its tunnel (the setup part of durationMs). */
  setupMs: number;
  /** Method and target without query string (`GET http://host/path`, `CONNECT host:443`). */
  method: string;
  target: string;
}

export type OutcomeHook = (outcome: ProxyOutcome) => void;

/** `http://host/path?q=1#x` → `http://host/path`: query strings can carry tokens. */
export function withoutQuery(url: string): string {
  const q = url.indexOf('?');
  const h = url.indexOf('#');
  const cut = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return cut === -1 ? url : url.slice(0, cut);
}
