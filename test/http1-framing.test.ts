/** How an answer's body is framed (upstream/h1-framing.ts), RFC 9112 §6.3, from the fields llhttp hands out. */
import { describe, expect, it } from 'vitest';
import { DECODED, LENGTH, NO_BODY, UNTIL_CLOSE, framingOf, keepAliveHintMs } from '../src/upstream/h1-framing.js';

describe('framingOf', () => {
  it('reads Content-Length, Transfer-Encoding and neither', () => {
    expect(framingOf(['Content-Length', '12'], 200, false)).toEqual({ kind: LENGTH, length: 12, hintMs: Infinity });
    expect(framingOf(['content-length', '0'], 200, false).kind).toBe(NO_BODY);
    expect(framingOf(['Transfer-Encoding', 'chunked'], 200, false).kind).toBe(DECODED);
    expect(framingOf(['Transfer-Encoding', 'gzip'], 200, false).kind).toBe(DECODED);
    expect(framingOf(['X-A', '1'], 200, false).kind).toBe(UNTIL_CLOSE);
  });

  it('ends HEAD, 204 and 304 answers at their head whatever they announce', () => {
    expect(framingOf(['Content-Length', '5'], 200, true).kind).toBe(NO_BODY);
    expect(framingOf(['Transfer-Encoding', 'chunked'], 204, false).kind).toBe(NO_BODY);
    expect(framingOf(['Content-Length', '5'], 304, false).kind).toBe(NO_BODY);
  });

  it("keeps the upstream's Keep-Alive timeout less a second", () => {
    expect(framingOf(['Keep-Alive', 'timeout=5, max=100', 'Content-Length', '1'], 200, false).hintMs).toBe(4000);
    expect(keepAliveHintMs('max=3')).toBe(Infinity);
    expect(keepAliveHintMs('Timeout=1')).toBe(0);
    expect(keepAliveHintMs('timeout=x')).toBe(Infinity);
  });
});
