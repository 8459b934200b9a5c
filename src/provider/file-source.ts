/**
 * Endpoints from a local file instead of the API: one `host:port[:user:pass]` or proxy URL per
 * line, `#` comments and blank lines skipped. The file is read again at every extract() so edits
 * are picked up at the next refresh without a restart. All entries are returned; the pool decides
 * how many it keeps.
 */
import { readFile } from 'node:fs/promises';
import { SwivelError } from '../errors.js';
import { emptyParseResult, parseTextBody } from './parse.js';
import type { EndpointSource, ExtractQuery, ParseResult } from './types.js';

export class FileSource implements EndpointSource {
  readonly name: string;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    this.name = `file ${path}`;
  }

  async extract(_query: ExtractQuery, signal?: AbortSignal): Promise<ParseResult> {
    let text: string;
    try {
      text = await readFile(this.#path, { encoding: 'utf8', signal });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const errno = (err as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new SwivelError('config_invalid', `Cannot read --proxies-file \`${this.#path}\`: ${errno}`, {
        cause: err,
        details: { path: this.#path, errno },
      });
    }
    const result = emptyParseResult();
    // Editors on Windows save UTF-8 with a byte order mark.
    parseTextBody(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, undefined, result);
    return result;
  }
}
