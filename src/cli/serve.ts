/**
 * `swivel serve`: load config, start the app, print one line with the listen addresses and pool
 * state, and run until SIGINT/SIGTERM.
 */
import { SwivelApp, type StartSummary } from '../app.js';
import { loadConfig, requireSource, securityWarnings, type RawFlags } from '../config/load.js';
import type { SwivelConfig } from '../config/types.js';
import { createLogger, type Logger } from '../logger.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { startMemoryTrim } from './memory-trim.js';
import { reportError, stdio, type Output } from './output.js';

export function startLine(s: StartSummary): string {
  const listeners = s.socksUrl === undefined ? s.httpUrl : `${s.httpUrl} and ${s.socksUrl}`;
  const admin = s.adminUrl === undefined ? '' : `; admin on ${s.adminUrl}`;
  return `swivel listening on ${listeners}; pool: ${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'} for ${s.geo} from ${s.source}${admin}`;
}

export interface Running {
  app: SwivelApp;
  /** Resolves with the exit code once a stop signal arrived and the app has stopped. */
  stopped: Promise<ExitCode>;
}

/**
 * Install SIGINT/SIGTERM handlers that stop `app`. Installed before the start line is printed, so
 * a supervisor that signals as soon as it sees the line never kills us mid-start.
 */
function stopOnSignal(app: SwivelApp, log: Logger): { stopped: Promise<ExitCode>; dispose(): void } {
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<ExitCode>((resolve) => {
    stop = (signal) => {
      log.info({ signal }, 'stopping');
      dispose();
      // A second signal while draining exits at once. Both signals, since as PID 1 in a container
      // a signal without a handler is ignored by the kernel: SIGTERM must stay handled throughout.
      const now = (): never => process.exit(EXIT.OK);
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      void app.stop(app.config.listen.drainTimeoutMs).then(() => resolve(EXIT.OK));
    };
  });
  const dispose = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { stopped, dispose };
}

/** Start an app from a validated config: warnings, signal handlers, start, then the start line. */
export async function startApp(config: SwivelConfig, output: Output, log: Logger): Promise<Running> {
  for (const warning of securityWarnings(config)) output.err(`swivel: ${warning}`);
  const app = new SwivelApp(config, { logger: log });
  const signals = stopOnSignal(app, log);
  try {
    const summary = await app.start();
    if (summary.warning !== undefined) output.err(`swivel: warning: ${summary.warning}`);
    output.out(startLine(summary));
  } catch (err) {
    signals.dispose();
    throw err;
  }
  return { app, stopped: signals.stopped };
}

export async function serveCommand(flags: RawFlags, output: Output = stdio): Promise<ExitCode> {
  try {
    const config = loadConfig(flags);
    requireSource(config);
    const log = createLogger({ level: config.logLevel });
    const { stopped } = await startApp(config, output, log);
    // Idle RSS: shrink what start-up (and later, each burst of load) grew once the process is quiet.
    const trim = startMemoryTrim();
    try {
      return await stopped;
    } finally {
      trim.stop();
    }
  } catch (err) {
    return reportError(err, output);
  }
}
