import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a log object. Secrets must never reach a log line:
 * the provider's app_key, upstream and client proxy passwords, and Proxy-Authorization headers.
 */
export const REDACT_PATHS = [
  'app_key',
  'appKey',
  'password',
  'pass',
  'auth',
  '*.app_key',
  '*.appKey',
  '*.password',
  '*.pass',
  '*.auth',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
  'req.headers.authorization',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where JSON lines go; stderr by default so stdout stays for command output. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'swivel',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything; the default for library users who pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Redact secrets in a URL before it is printed: the app_key query parameter and any userinfo.
 * Works on strings that do not parse as URLs too (best effort, by query-parameter name).
 */
export function redactUrl(url: string): string {
  let out = url.replace(/([?&]app_key=)[^&#]*/gi, '$1***');
  out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1***@');
  return out;
}
