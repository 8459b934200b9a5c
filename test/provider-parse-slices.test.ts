import { describe, expect, it } from 'vitest';
import { parseExtractionBody, parseExtractionBodyInSlices } from '../src/provider/parse.js';

function jsonBody(groups: string[][]): string {
  return JSON.stringify({ code: 200, msg: 'ok', data: { list: groups } });
}

const entries = Array.from({ length: 57 }, (_, i) => `203.0.113.${(i % 250) + 1}:${1000 + i}`);

describe('parseExtractionBodyInSlices', () => {
  it.each([
    ['JSON list of lists', jsonBody([entries.slice(0, 20), entries.slice(20, 21), entries.slice(21)]), 'application/json', undefined],
    [
      'flat JSON list, malformed entries and objects',
      JSON.stringify({ code: 0, data: { list: [...entries, 'nope', 7, { ip: '203.0.113.9', port: '81' }, [['deep']]] } }),
      'application/json',
      undefined,
    ],
    ['text with CRLF and comments', `# head\r\n${entries.join('\r\n')}\r\nbad line\r\n`, 'text/plain', undefined],
    ['text with lb=|', entries.join('|'), 'text/plain', '|'],
    ['text with a multi-character lb', entries.join('<br>'), 'text/plain', '<br>'],
  ])('gives what parseExtractionBody gives: %s', async (_, body, type, lb) => {
    let pauses = 0;
    const sliced = await parseExtractionBodyInSlices(body, type, lb, {
      sliceEntries: 1,
      yieldToLoop: () => {
        pauses++;
        return Promise.resolve();
      },
    });
    expect(sliced).toEqual(parseExtractionBody(body, type, lb));
    expect(pauses).toBeGreaterThan(1);
  });

  it('pauses about once per slice of entries', async () => {
    let pauses = 0;
    const body = jsonBody([entries]);
    await parseExtractionBodyInSlices(body, 'application/json', undefined, {
      sliceEntries: 10,
      yieldToLoop: () => {
        pauses++;
        return Promise.resolve();
      },
    });
    expect(pauses).toBe(5);
  });

  it('rejects what parseExtractionBody throws, with the same code', async () => {
    await expect(parseExtractionBodyInSlices('{"code":0,"data":{}}', 'application/json')).rejects.toMatchObject({
      code: 'provider_malformed',
    });
    await expect(parseExtractionBodyInSlices('<html></html>', 'text/html')).rejects.toMatchObject({ code: 'provider_malformed' });
  });
});
