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
];

describe('list scan of the documented answer', () => {
  it('gives what JSON.parse and the list walk give, entry for entry and error for error', async () => {
    for (const body of bodies) {
      const expected = outcome(() => reference(body.trimStart()));
      expect(
        outcome(() => parseExtractionBody(body, 'application/json')),
        body,
      ).toEqual(expected);
      let sliced: ParseResult | undefined;
      let error: unknown;
      try {
        sliced = await parseExtractionBodyInSlices(body, 'application/json', undefined, { sliceEntries: 1, yieldToLoop: async () => {} });
      } catch (err) {
        error = err;
      }
      expect(
        outcome(() => {
          if (sliced === undefined) throw error;
          return sliced;
        }),
        body,
      ).toEqual(expected);
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
