/**
 * A logger that writes JSON lines into an array, so tests read what was logged (as in pino's own
 * tests). Built by the app's own factory, redaction included, so a test that reads these lines
 * proves what a real log line would hold.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface LogSink {
  logger: Logger;
  records: LogRecord[];
  /** Records whose msg is exactly `msg`. */
  find(msg: string): LogRecord[];
}

export function createLogSink(): LogSink {
  const records: LogRecord[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      partial += chunk.toString();
      let nl = partial.indexOf('\n');
      while (nl !== -1) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.trim() !== '') records.push(JSON.parse(line) as LogRecord);
        nl = partial.indexOf('\n');
      }
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination: stream });
  return { logger, records, find: (msg) => records.filter((r) => r.msg === msg) };
}
