/**
 * `swivel serve`: load config, start the app, print one line with the listen addresses and pool
 * state, and run until SIGINT/SIGTERM.
 */
import { SwivelApp, type StartSummary } from '../app.js';
import { loadConfig, requireSource, securityWarnings, type RawFlags } from '../config/load.js';
import type { SwivelConfig } from '../config/types.js';
import { createLogger, type Logger } from '../logger.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { reportError, stdio, type Output } from './output.js';

export function startLine(s: StartSummary): string {
  const listeners = s.socksUrl === undefined ? s.httpUrl : `${s.httpUrl} and ${s.socksUrl}`;
  return `swivel listening on ${listeners}; pool: ${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'} for ${s.geo} from ${s.source}`;
}

/** Resolves when a stop signal arrives; the app is stopped before it resolves. */
export function runUntilSignal(app: SwivelApp, log: Logger): Promise<ExitCode> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'stopping');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second signal while draining exits at once.
      process.once('SIGINT', () => process.exit(EXIT.OK));
      void app.stop().then(() => resolve(EXIT.OK));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Start an app from a validated config; prints warnings and the start line. */
export async function startApp(config: SwivelConfig, output: Output, log: Logger): Promise<SwivelApp> {
  for (const warning of securityWarnings(config)) output.err(`swivel: ${warning}`);
  const app = new SwivelApp(config, { logger: log });
  const summary = await app.start();
  if (summary.warning !== undefined) output.err(`swivel: warning: ${summary.warning}`);
  output.out(startLine(summary));
  return app;
}

export async function serveCommand(flags: RawFlags, output: Output = stdio): Promise<ExitCode> {
  try {
    const config = loadConfig(flags);
    requireSource(config);
    const log = createLogger({ level: config.logLevel });
    const app = await startApp(config, output, log);
    return await runUntilSignal(app, log);
  } catch (err) {
    return reportError(err, output);
  }
}
