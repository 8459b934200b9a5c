import { describe, it, expect } from 'vitest';
import { SocksReply, isSwivelError } from '../src/errors.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../src/protocol/ip.js';
import {
  Method,
  chooseMethod,
  decodeAuthReply,
  decodeAuthRequest,
  decodeGreeting,
  decodeMethodSelection,
  decodeReply,
  decodeReplyStatus,
  decodeRequest,
  encodeAuthReply,
  encodeAuthRequest,
  encodeGreeting,
  encodeMethodSelection,
  encodeReply,
  encodeRequest,
  type DecodeResult,
} from '../src/protocol/socks5.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Every strict prefix of a valid frame is 'incomplete', never an error or a throw. */
function expectIncompleteAtEveryCut(frame: Buffer, decode: (b: Buffer) => DecodeResult<unknown>): void {
  for (let cut = 0; cut < frame.length; cut++) {
    expect(decode(frame.subarray(0, cut)), `cut at ${cut}`).toEqual({ kind: 'incomplete' });
  }
}

function ok<T>(r: DecodeResult<T>): { value: T; consumed: number } {
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r;
}

function errorCode(r: DecodeResult<unknown>): string | undefined {
  return r.kind === 'error' ? r.code : undefined;
}

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isSwivelError(err) ? err.code : 'not-a-swivel-error';
  }
  return undefined;
}

describe('greeting (RFC 1928 §3)', () => {
  it('decodes methods and reports consumed bytes, leaving trailing bytes alone', () => {
    const r = ok(decodeGreeting(hex('05 02 00 02 01 00 03')));
    expect([...r.value.methods]).toEqual([0x00, 0x02]);
    expect(r.consumed).toBe(4);
  });

  it('is incomplete at every truncation', () => {
    expectIncompleteAtEveryCut(hex('05 03 00 01 02'), decodeGreeting);
  });

  it('names a SOCKS4 first byte so the caller can close cleanly', () => {
    expect(errorCode(decodeGreeting(hex('04')))).toBe('socks4');
    expect(errorCode(decodeGreeting(hex('04 01 00 50 7f 00 00 01 00')))).toBe('socks4');
  });

  it('refuses other versions and NMETHODS 0', () => {
    expect(errorCode(decodeGreeting(hex('00')))).toBe('bad_version');
    expect(errorCode(decodeGreeting(Buffer.from('CONNECT example.com:443 HTTP/1.1\r\n')))).toBe('bad_version');
    expect(errorCode(decodeGreeting(hex('05 00')))).toBe('bad_frame');
  });

  it('accepts 255 methods', () => {
    const methods = Array.from({ length: 255 }, (_, i) => i);
    const r = ok(decodeGreeting(encodeGreeting(methods)));
    expect(r.consumed).toBe(257);
    expect([...r.value.methods]).toEqual(methods);
  });

  it('encodes greetings and refuses 0 or 256 methods', () => {
    expect(encodeGreeting([0x00, 0x02])).toEqual(hex('05 02 00 02'));
    expect(thrownCode(() => encodeGreeting([]))).toBe('internal');
    expect(thrownCode(() => encodeGreeting(new Array<number>(256).fill(0)))).toBe('internal');
  });
});

describe('chooseMethod', () => {
  const cases: Array<[number[], boolean, number]> = [
    [[0x00], false, Method.NO_AUTH],
    [[0x00, 0x02], false, Method.USER_PASS], // selectors ride in the username
    [[0x02], false, Method.USER_PASS],
    [[0x01], false, Method.NO_ACCEPTABLE], // GSSAPI is never chosen
    [[0x00], true, Method.NO_ACCEPTABLE],
    [[0x01, 0x02], true, Method.USER_PASS],
    [[0x00, 0x01], true, Method.NO_ACCEPTABLE],
    [[0x80, 0xfe], false, Method.NO_ACCEPTABLE],
  ];
  it.each(cases)('offered %j, requireAuth %s → %i', (offered, requireAuth, expected) => {
    expect(chooseMethod(Uint8Array.from(offered), requireAuth)).toBe(expected);
    expect(chooseMethod(Buffer.from(offered), requireAuth)).toBe(expected);
  });

  it('encodes the selection as two bytes and reads it back', () => {
    expect(encodeMethodSelection(0xff)).toEqual(hex('05 ff'));
    expect(ok(decodeMethodSelection(hex('05 02 ff'))).value.method).toBe(0x02);
    expect(errorCode(decodeMethodSelection(hex('01 00')))).toBe('bad_version');
    expectIncompleteAtEveryCut(hex('05 00'), decodeMethodSelection);
  });
});

describe('username/password (RFC 1929)', () => {
  it('decodes UTF-8 credentials and leaves the request that follows', () => {
    const frame = encodeAuthRequest('session-abc-country-de', 'pässwörd');
    const r = ok(decodeAuthRequest(Buffer.concat([frame, hex('05 01 00')])));
    expect(r.value).toEqual({ username: 'session-abc-country-de', password: 'pässwörd' });
    expect(r.consumed).toBe(frame.length);
  });

  it('is incomplete at every truncation', () => {
    expectIncompleteAtEveryCut(encodeAuthRequest('user', 'pass'), decodeAuthRequest);
    expectIncompleteAtEveryCut(encodeAuthRequest('u', ''), decodeAuthRequest);
  });

  it('accepts PLEN 0 (curl sends it for socks5://user@host) but not ULEN 0', () => {
    expect(ok(decodeAuthRequest(hex('01 01 75 00'))).value).toEqual({ username: 'u', password: '' });
    expect(errorCode(decodeAuthRequest(hex('01 00 04 70 61 73 73')))).toBe('bad_frame');
  });

  it('refuses a wrong sub-negotiation version, including SOCKS 5 by mistake', () => {
    expect(errorCode(decodeAuthRequest(hex('05 01 75 01 70')))).toBe('bad_version');
    expect(errorCode(decodeAuthRequest(hex('00')))).toBe('bad_version');
  });

  it('round-trips 255-byte fields and refuses longer or empty usernames', () => {
    const long = 'x'.repeat(255);
    const r = ok(decodeAuthRequest(encodeAuthRequest(long, long)));
    expect(r.value).toEqual({ username: long, password: long });
    expect(r.consumed).toBe(3 + 255 + 255);
    expect(thrownCode(() => encodeAuthRequest('x'.repeat(256), 'p'))).toBe('bad_request');
    expect(thrownCode(() => encodeAuthRequest('é'.repeat(128), 'p'))).toBe('bad_request'); // 256 UTF-8 bytes
    expect(thrownCode(() => encodeAuthRequest('u', 'x'.repeat(256)))).toBe('bad_request');
    expect(thrownCode(() => encodeAuthRequest('', 'p'))).toBe('bad_request');
  });

  it('encodes and decodes the status reply', () => {
    expect(encodeAuthReply(true)).toEqual(hex('01 00'));
    expect(encodeAuthReply(false)).toEqual(hex('01 01'));
    expect(ok(decodeAuthReply(hex('01 00'))).value).toEqual({ ok: true, status: 0 });
    expect(ok(decodeAuthReply(hex('01 02'))).value).toEqual({ ok: false, status: 2 });
    expect(errorCode(decodeAuthReply(hex('05 00')))).toBe('bad_version');
    expectIncompleteAtEveryCut(hex('01 00'), decodeAuthReply);
  });
});

describe('request (RFC 1928 §4, §5)', () => {
  const samples = [
    { host: '192.0.2.7', atyp: 1, length: 10 },
    { host: 'example.com', atyp: 3, length: 4 + 1 + 11 + 2 },
    { host: '2001:db8::1', atyp: 4, length: 22 },
    { host: '::ffff:10.0.0.1', atyp: 4, length: 22 },
    { host: 'a'.repeat(255), atyp: 3, length: 4 + 1 + 255 + 2 },
  ] as const;

  it.each(samples)('round-trips $host as ATYP $atyp', ({ host, atyp, length }) => {
    const frame = encodeRequest({ cmd: 1, host, port: 8080 });
    expect(frame.length).toBe(length);
    expect(frame[3]).toBe(atyp);
    expect(frame.readUInt16BE(frame.length - 2)).toBe(8080);
    const r = ok(decodeRequest(Buffer.concat([frame, Buffer.from('GET / HTTP/1.1')])));
    expect(r.value).toEqual({ cmd: 1, atyp, host, port: 8080 });
    expect(r.consumed).toBe(length);
    expectIncompleteAtEveryCut(frame, decodeRequest);
  });

  it('reads exact wire bytes: port big-endian, IPv6 canonicalised, domain as latin1', () => {
    expect(ok(decodeRequest(hex('05 01 00 01 7f 00 00 01 ff ff'))).value).toEqual({ cmd: 1, atyp: 1, host: '127.0.0.1', port: 65535 });
    const v6 = ok(decodeRequest(hex('05 01 00 04 20010DB8000000000000000000000001 01 bb')));
    expect(v6.value.host).toBe('2001:db8::1');
    expect(ok(decodeRequest(hex('05 01 00 03 02 e9 ff 00 50'))).value.host).toBe('\u00e9\u00ff');
  });

  it('encodes bracketed IPv6 as ATYP 4 and refuses bad hosts and ports', () => {
    expect(encodeRequest({ cmd: 1, host: '[::1]', port: 443 })).toEqual(hex('05 01 00 04 00000000000000000000000000000001 01bb'));
    expect(thrownCode(() => encodeRequest({ cmd: 1, host: 'a'.repeat(256), port: 80 }))).toBe('bad_request');
    expect(thrownCode(() => encodeRequest({ cmd: 1, host: '', port: 80 }))).toBe('bad_request');
    expect(thrownCode(() => encodeRequest({ cmd: 1, host: 'münchen.ä€', port: 80 }))).toBe('bad_request');
    expect(thrownCode(() => encodeRequest({ cmd: 1, host: '[nope]', port: 80 }))).toBe('bad_request');
    expect(thrownCode(() => encodeRequest({ cmd: 1, host: 'example.com', port: 65536 }))).toBe('bad_request');
    expect(thrownCode(() => encodeRequest({ cmd: 1, host: 'example.com', port: 1.5 }))).toBe('bad_request');
  });

  it('treats look-alike IPv4 as a domain (leading zeros, out of range)', () => {
    expect(encodeRequest({ cmd: 1, host: '010.0.0.1', port: 80 })[3]).toBe(3);
    expect(encodeRequest({ cmd: 1, host: '256.0.0.1', port: 80 })[3]).toBe(3);
  });

  it("decodes BIND and UDP ASSOCIATE so the caller can answer X'07'", () => {
    expect(ok(decodeRequest(encodeRequest({ cmd: 2, host: '0.0.0.0', port: 0 }))).value.cmd).toBe(2);
    expect(ok(decodeRequest(encodeRequest({ cmd: 3, host: '0.0.0.0', port: 0 }))).value.cmd).toBe(3);
  });

  it('reports malformed requests as soon as the offending byte arrives', () => {
    expect(errorCode(decodeRequest(hex('04')))).toBe('bad_version');
    expect(errorCode(decodeRequest(hex('05 00')))).toBe('bad_command');
    expect(errorCode(decodeRequest(hex('05 04')))).toBe('bad_command');
    expect(errorCode(decodeRequest(hex('05 01 01')))).toBe('bad_frame'); // RSV must be 0
    expect(errorCode(decodeRequest(hex('05 01 00 02')))).toBe('bad_atyp');
    expect(errorCode(decodeRequest(hex('05 01 00 05')))).toBe('bad_atyp');
    expect(errorCode(decodeRequest(hex('05 01 00 00')))).toBe('bad_atyp');
    expect(errorCode(decodeRequest(hex('05 01 00 03 00')))).toBe('bad_frame'); // empty domain
  });
});

describe('reply (RFC 1928 §6)', () => {
  it('is always the full 10-byte IPv4 form by default, failures included', () => {
    for (const rep of Object.values(SocksReply)) {
      const frame = encodeReply(rep);
      expect(frame).toEqual(Buffer.from([5, rep, 0, 1, 0, 0, 0, 0, 0, 0]));
    }
  });

  it('carries IPv4 and IPv6 bind addresses (10 and 22 bytes)', () => {
    const v4 = encodeReply(0, { atyp: 1, host: '10.1.2.3', port: 1080 });
    expect(v4).toEqual(hex('05 00 00 01 0a010203 0438'));
    const v6 = encodeReply(SocksReply.HOST_UNREACHABLE, { atyp: 4, host: '2001:db8::5', port: 1 });
    expect(v6.length).toBe(22);
    expect(ok(decodeReply(v6)).value).toEqual({ rep: 4, atyp: 4, host: '2001:db8::5', port: 1 });
  });

  it('refuses a bind address that does not match its ATYP', () => {
    expect(thrownCode(() => encodeReply(0, { atyp: 1, host: '::1', port: 0 }))).toBe('internal');
    expect(thrownCode(() => encodeReply(0, { atyp: 4, host: 'localhost', port: 0 }))).toBe('internal');
    expect(thrownCode(() => encodeReply(256))).toBe('internal');
  });

  it('decodes replies with trailing tunnel bytes, any ATYP, RSV ignored', () => {
    const r = ok(decodeReply(Buffer.concat([encodeReply(0), Buffer.from('HTTP/1.1 200')])));
    expect(r.value).toEqual({ rep: 0, atyp: 1, host: '0.0.0.0', port: 0 });
    expect(r.consumed).toBe(10);
    expect(ok(decodeReply(hex('05 00 00 03 04 70726f78 1f90'))).value).toEqual({ rep: 0, atyp: 3, host: 'prox', port: 8080 });
    expect(ok(decodeReply(hex('05 01 07 01 00000000 0000'))).value.rep).toBe(1);
    expect(errorCode(decodeReply(hex('04 5a')))).toBe('bad_version');
    expect(errorCode(decodeReply(hex('05 00 00 09')))).toBe('bad_atyp');
  });

  it('is incomplete at every truncation', () => {
    expectIncompleteAtEveryCut(encodeReply(0), decodeReply);
    expectIncompleteAtEveryCut(encodeReply(0, { atyp: 4, host: '::1', port: 9 }), decodeReply);
    expectIncompleteAtEveryCut(hex('05 00 00 03 04 70726f78 1f90'), decodeReply);
  });
});

describe('IPv6 text (RFC 5952)', () => {
  const canonical: Array<[string, string]> = [
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first is compressed (§4.2.3)
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins over an earlier shorter one
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed (§4.2.2)
    ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1'],
    ['0:0:1:0:0:0:1:0', '0:0:1::1:0'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'], // IPv4-mapped keeps the dotted tail (§5)
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
  ];
  it.each(canonical)('%s → %s', (input, expected) => {
    const bytes = parseIPv6(input);
    expect(bytes).not.toBeNull();
    expect(formatIPv6(bytes!)).toBe(expected);
    expect(parseIPv6(expected)).toEqual(bytes);
  });

  it.each([
    ':::',
    '1::2::3',
    ':1',
    '1:',
    '12345::',
    'g::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '1.2.3.4::',
    '::1.2.3',
    '::1.2.3.256',
    'fe80::1%eth0',
    '',
    'example.com',
  ])('refuses %j', (input) => {
    expect(parseIPv6(input)).toBeNull();
  });

  it('agrees with the WHATWG URL serialiser on random addresses', () => {
    let seed = 1;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.alloc(16);
      // Mostly zero groups, so every compression case comes up.
      for (let g = 0; g < 8; g++) if (rand() < 0.4) bytes.writeUInt16BE(Math.floor(rand() * 0x10000), g * 2);
      if (bytes.readUInt16BE(10) === 0xffff && bytes.subarray(0, 10).every((b) => b === 0)) continue; // §5 form
      const text = formatIPv6(bytes);
      expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      expect(parseIPv6(text)).toEqual(bytes);
    }
  });

  it('parses strict dotted quads only', () => {
    expect(parseIPv4('0.0.0.0')).toEqual(hex('00000000'));
    expect(parseIPv4('255.255.255.255')).toEqual(hex('ffffffff'));
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..3.4', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1.2.3.-4']) {
      expect(parseIPv4(bad), bad).toBeNull();
    }
  });
});

describe("decodeReplyStatus (the client side's REP-only decoder)", () => {
  const frames = [
    encodeReply(0),
    encodeReply(SocksReply.HOST_UNREACHABLE, { atyp: 4, host: '2001:db8::5', port: 1 }),
    hex('05 00 00 03 04 61 62 63 64 01 bb'),
    hex('05 00 00 03 00 01 bb'),
    hex('05 00 00 02 00'),
    hex('04 00 00 01 00 00 00 00 00 00'),
  ];
  it('agrees with decodeReply on every frame and every cut of it', () => {
    for (const frame of frames) {
      for (let cut = 0; cut <= frame.length; cut++) {
        const part = frame.subarray(0, cut);
        const full = decodeReply(part);
        const fast = decodeReplyStatus(part);
        expect(fast.kind).toBe(full.kind);
        if (full.kind === 'ok' && fast.kind === 'ok') {
          expect(fast.consumed).toBe(full.consumed);
          expect(fast.value).toBe(full.value.rep);
        }
        if (full.kind === 'error' && fast.kind === 'error') expect(fast.code).toBe(full.code);
      }
    }
  });
});
