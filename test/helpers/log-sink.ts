/** A pino logger that writes JSON lines into an array, so tests read what was logged (as in pino's own tests). */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/logger.js';

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
  const logger = pino({ level: 'debug' }, stream);
  return { logger, records, find: (msg) => records.filter((r) => r.msg === msg) };
}
