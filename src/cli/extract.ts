/**
 * `swivel extract`: one extraction with the given flags, printed, so a user can check a key and a
 * geo before pointing a scraper at swivel.
 */
import { createSource } from '../app.js';
import { loadConfig, requireSource, type RawFlags } from '../config/load.js';
import { createLogger } from '../logger.js';
import { endpointId } from '../pool/endpoint.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { reportError, stdio, type Output } from './output.js';

export async function extractCommand(flags: RawFlags, asJson: boolean, output: Output = stdio): Promise<ExitCode> {
  try {
    const config = loadConfig(flags);
    requireSource(config);
    const log = createLogger({ level: config.logLevel });
    const source = createSource(config, log);
    const { cc, state, city, ep } = config.geo;
    const { num, life, format, lb } = config.source;
    const result = await source.extract({ cc, state, city, ep, num, life, format, lb });
    if (asJson) {
      // Credentials of user:pass endpoints are the user's own; they are shown only as "has auth".
      const endpoints = result.endpoints.map((e) => ({ host: e.host, port: e.port, auth: e.username !== undefined }));
      output.out(JSON.stringify({ source: source.name, count: endpoints.length, malformed: result.malformed, endpoints }, null, 2));
    } else {
      for (const e of result.endpoints) output.out(endpointId(e.host, e.port));
      output.err(
        `swivel: ${result.endpoints.length} endpoint(s) from ${source.name}${result.malformed > 0 ? `, ${result.malformed} malformed entr${result.malformed === 1 ? 'y' : 'ies'} skipped` : ''}`,
      );
    }
    return result.endpoints.length > 0 ? EXIT.OK : EXIT.UNAVAILABLE;
  } catch (err) {
    return reportError(err, output);
  }
}
