// The in-place list scan of the documented answer (provider/parse.ts ListScan, issue 12): on every
// body, in or out of its narrow shape, valid or not, the parse gives what JSON.parse + the list
// walk gives (the same entries, malformed counts, or the same error).
import { describe, expect, it } from 'vitest';
import { SwivelError } from '../src/errors.js';
import { checkEnvelope } from '../src/provider/envelope.js';
import { emptyParseResult, parseExtractionBody, parseExtractionBodyInSlices, parseJsonList } from '../src/provider/parse.js';
import type { ParseResult } from '../src/provider/types.js';

/** The JSON.parse way, by hand: what the parser did before the scan. */
function reference(body: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new SwivelError('provider_malformed', 'The provider answer is not valid JSON.');
  }
  const data = checkEnvelope(json) as { list: unknown };
  if (!Array.isArray(data.list)) throw new SwivelError('provider_malformed', 'The provider answer has no data.list array.');
  const result = emptyParseResult();
  parseJsonList(data.list, result);
  return result;
}

function outcome(run: () => ParseResult): unknown {
  try {
    const r = run();
    return { endpoints: r.endpoints, malformed: r.malformed, first: r.firstMalformed };
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
}

const bodies = [
  '{"code":200,"msg":"ok","data":{"list":[["203.0.113.1:8000","203.0.113.2:8001"],["198.51.100.9:1080"]]}}',
  ' \n{ "code" : 200 , "data" : { "list" : [ [ "203.0.113.1:8000" ] , [ ] , "203.0.113.3:9" ] } }',
  '{"code":200,"data":{"list":[["proxy.example.com:3128","u:p@203.0.113.1:8000","[2001:db8::1]:1080","bad entry","01.2.3.4:5"]]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000","a\\"b"]]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000\\u0041"]]}}',
  '{"code":200,"data":{"list":[[{"ip":"203.0.113.1","port":8000}],"203.0.113.2:1"]}}',
  '{"code":200,"data":{"list":[[["203.0.113.1:8000"]]]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000",]]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000"]]},}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000" "203.0.113.2:8000"]]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000"]]}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000\n"]]}}',
  '{"code":200,"data":{"meta":{"list":[["203.0.113.9:1"]]},"list":[["203.0.113.1:8000"]]}}',
  '{"code":200,"data":{"list":[["203.0.113.9:1"]],"list":[["203.0.113.1:8000"]]}}',
  '{"code":200,"msg":"\\"list\\":[","data":{"list":["203.0.113.1:8000"]}}',
  '{"code":200,"data":{"x\\"list":[["203.0.113.9:1"]],"list":[]}}',
  '{"code":10001,"msg":"invalid app_key","data":{"list":[["203.0.113.1:8000"]]}}',
  '{"code":200,"data":{"list":"203.0.113.1:8000"}}',
  '{"code":200,"data":{"list":[]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000"]]}} trailing',
  // Runs of canonical entries (read quote to quote, without the general steps) broken by every
  // kind of near miss, by whitespace, an escape, a name, and by the end of the body.
  '{"code":200,"data":{"list":[["203.0.113.1:8000","203.0.113.2:0","203.0.113.3:65535","203.0.113.4:65536","203.0.113.5:123456","203.0.113.6:080","203.0.113.7:","256.0.0.1:1","1.02.3.4:5","1.2.3.4444:5","1.2.3:4","203.0.113.8:8000x","203.0.113.9:9"]]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000","203.0.113.2:8001" ,"203.0.113.3:8002", "203.0.113.4:8003","proxy.example.com:3128","203.0.113.5:8004","203.0.113.6:8005\\"","203.0.113.7:8006"]]}}',
  '{"code":200,"data":{"list":["203.0.113.1:8000","203.0.113.2:8001","203.0.113.3:8002","203.0.113.4:8003"]}}',
  '{"code":200,"data":{"list":[["203.0.113.1:8000","203.0.113.2:8001","203.0.113.3:80',
];

describe('list scan of the documented answer', () => {
  it('gives what JSON.parse and the list walk give, entry for entry and error for error', async () => {
    for (const body of bodies) {
      const expected = outcome(() => reference(body.trimStart()));
      expect(
        outcome(() => parseExtractionBody(body, 'application/json')),
        body,
      ).toEqual(expected);
      // One entry per slice, and slices that end inside a run of canonical entries.
      for (const sliceEntries of [1, 3]) {
        let sliced: ParseResult | undefined;
        let error: unknown;
        try {
          sliced = await parseExtractionBodyInSlices(body, 'application/json', undefined, { sliceEntries, yieldToLoop: async () => {} });
        } catch (err) {
          error = err;
        }
        expect(
          outcome(() => {
            if (sliced === undefined) throw error;
            return sliced;
          }),
          `${body} (slices of ${sliceEntries})`,
        ).toEqual(expected);
      }
    }
  });

  it('reads a large answer in order without JSON.parse of its list', () => {
    const entries: string[][] = [];
    for (let g = 0; g < 300; g++) entries.push(Array.from({ length: 10 }, (_, j) => `23.${g >> 8}.${g & 255}.${j}:${10000 + j}`));
    const body = JSON.stringify({ code: 200, msg: 'ok', data: { list: entries } });
    const result = parseExtractionBody(body, 'application/json');
    expect(result.batch?.length).toBe(3000);
    expect(result.endpoints.map((e) => `${e.host}:${e.port}`)).toEqual(entries.flat());
  });
});
