import { describe, it, expect } from 'vitest';
import { SocksReply, isSwivelError } from '../src/errors.js';
import { encodeAuthRequest, encodeGreeting, encodeReply, encodeRequest } from '../src/protocol/socks5.js';
import { SocksNegotiation, type SocksAction, type SocksNegotiationOptions } from '../src/server/socks/state.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const PAYLOAD = Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');

interface Transcript {
  /** Every action in order, with the caller's answers folded in. */
  actions: SocksAction[];
  /** Bytes the server wrote, concatenated. */
  written: Buffer;
  /** Client bytes that reached the tunnel: the pipe head, then what arrived after it. */
  tunnel: Buffer;
  neg: SocksNegotiation;
}

/**
 * A tiny stand-in for the I/O wrapper: feeds chunks, answers 'authenticate' with `authOk` and
 * 'connect' with connected() or failed(rep), stops feeding at 'pipe' or 'close'.
 */
function drive(chunks: Buffer[], opts: SocksNegotiationOptions, answers: { authOk?: boolean; connectRep?: number } = {}): Transcript {
  const neg = new SocksNegotiation(opts);
  const actions: SocksAction[] = [];
  const relayed: Buffer[] = [];
  let piped = false;
  const run = (batch: SocksAction[]): void => {
    for (const action of batch) {
      actions.push(action);
      if (action.type === 'authenticate') run(neg.authResult(answers.authOk ?? true));
      if (action.type === 'connect') {
        const rep = answers.connectRep ?? SocksReply.SUCCEEDED;
        run(rep === SocksReply.SUCCEEDED ? neg.connected() : neg.failed(rep));
      }
      if (action.type === 'pipe') {
        piped = true;
        relayed.push(action.head);
      }
    }
  };
  for (const chunk of chunks) {
    if (piped) relayed.push(chunk);
    else run(neg.feed(chunk));
  }
  const written = Buffer.concat(actions.flatMap((a) => (a.type === 'write' ? [a.data] : [])));
  return { actions, written, tunnel: Buffer.concat(relayed), neg };
}

const bytewise = (buf: Buffer): Buffer[] => [...buf].map((b) => Buffer.from([b]));
const types = (actions: SocksAction[]): string[] => actions.map((a) => a.type);
const lastClose = (t: Transcript): string | undefined => {
  const last = t.actions.at(-1);
  return last?.type === 'close' ? last.reason : undefined;
};

/** Runs the same client bytes whole and one byte at a time; both must behave identically. */
function both(client: Buffer, opts: SocksNegotiationOptions, answers?: { authOk?: boolean; connectRep?: number }): Transcript {
  const whole = drive([client], opts, answers);
  const split = drive(bytewise(client), opts, answers);
  expect(split.written).toEqual(whole.written);
  expect(split.tunnel).toEqual(whole.tunnel);
  expect(types(split.actions).filter((t) => t !== 'pipe')).toEqual(types(whole.actions).filter((t) => t !== 'pipe'));
  expect(split.neg.state).toBe(whole.neg.state);
  return whole;
}

describe('SocksNegotiation', () => {
  it('no-auth CONNECT: method 00, connect action, success reply, pipe', () => {
    const client = Buffer.concat([encodeGreeting([0x00]), encodeRequest({ cmd: 1, host: 'example.com', port: 443 }), PAYLOAD]);
    const t = both(client, { requireAuth: false });
    expect(types(t.actions)).toEqual(['write', 'connect', 'write', 'pipe']);
    expect(t.actions[1]).toEqual({ type: 'connect', host: 'example.com', port: 443, atyp: 3, username: undefined, password: undefined });
    expect(t.written).toEqual(Buffer.concat([hex('05 00'), encodeReply(0)]));
    expect(t.tunnel).toEqual(PAYLOAD);
    expect(t.neg.state).toBe('established');
  });

  it('hands every byte after the request back as the pipe head, also when fed during connecting', () => {
    const neg = new SocksNegotiation({ requireAuth: false });
    const request = encodeRequest({ cmd: 1, host: '192.0.2.1', port: 80 });
    expect(types(neg.feed(Buffer.concat([encodeGreeting([0]), request, PAYLOAD.subarray(0, 5)])))).toEqual(['write', 'connect']);
    expect(neg.state).toBe('connecting');
    expect(neg.feed(PAYLOAD.subarray(5))).toEqual([]);
    const done = neg.connected({ atyp: 1, host: '127.0.0.1', port: 1080 });
    expect(done).toEqual([
      { type: 'write', data: hex('05 00 00 01 7f000001 0438') },
      { type: 'pipe', head: PAYLOAD },
    ]);
  });

  it('gives an empty pipe head when nothing came early', () => {
    const neg = new SocksNegotiation({ requireAuth: false });
    neg.feed(Buffer.concat([encodeGreeting([0]), encodeRequest({ cmd: 1, host: '::1', port: 22 })]));
    const pipe = neg.connected().at(-1);
    expect(pipe).toEqual({ type: 'pipe', head: Buffer.alloc(0) });
  });

  it('requireAuth: asks the caller, replies 01 00 and connects with the credentials', () => {
    const client = Buffer.concat([
      encodeGreeting([0x00, 0x02]),
      encodeAuthRequest('session-abc-country-de', 's3cret'),
      encodeRequest({ cmd: 1, host: 'example.org', port: 80 }),
      PAYLOAD,
    ]);
    const t = both(client, { requireAuth: true });
    expect(types(t.actions)).toEqual(['write', 'authenticate', 'write', 'connect', 'write', 'pipe']);
    expect(t.actions[1]).toEqual({ type: 'authenticate', username: 'session-abc-country-de', password: 's3cret' });
    expect(t.actions[3]).toMatchObject({ type: 'connect', username: 'session-abc-country-de', password: 's3cret' });
    expect(t.written).toEqual(Buffer.concat([hex('05 02'), hex('01 00'), encodeReply(0)]));
    expect(t.tunnel).toEqual(PAYLOAD);
  });

  it('auth failure: 01 01 then close, and the pipelined request is never acted on', () => {
    const client = Buffer.concat([
      encodeGreeting([0x02]),
      encodeAuthRequest('u', 'wrong'),
      encodeRequest({ cmd: 1, host: 'x.test', port: 80 }),
    ]);
    const t = both(client, { requireAuth: true }, { authOk: false });
    expect(types(t.actions)).toEqual(['write', 'authenticate', 'write', 'close']);
    expect(t.written).toEqual(hex('05 02 01 01'));
    expect(lastClose(t)).toBe('auth_failed');
    expect(t.neg.state).toBe('closed');
  });

  it('optional auth: prefers 02 for the selectors and accepts without asking the caller', () => {
    const client = Buffer.concat([
      encodeGreeting([0x00, 0x02]),
      encodeAuthRequest('country-de', ''),
      encodeRequest({ cmd: 1, host: 'a.test', port: 1 }),
    ]);
    const t = both(client, { requireAuth: false });
    expect(types(t.actions)).toEqual(['write', 'write', 'connect', 'write', 'pipe']);
    expect(t.written.subarray(0, 4)).toEqual(hex('05 02 01 00'));
    expect(t.actions[2]).toMatchObject({ type: 'connect', username: 'country-de', password: '' });
  });

  it('refuses a client without an acceptable method with 05 FF', () => {
    const t = both(encodeGreeting([0x00, 0x01]), { requireAuth: true });
    expect(t.written).toEqual(hex('05 ff'));
    expect(lastClose(t)).toBe('no_acceptable_method');
    expect(both(hex('05 00'), { requireAuth: false }).written).toEqual(hex('05 ff')); // NMETHODS 0
  });

  it.each([
    ['BIND', encodeRequest({ cmd: 2, host: '0.0.0.0', port: 0 }), SocksReply.COMMAND_NOT_SUPPORTED, 'command_not_supported'],
    ['UDP ASSOCIATE', encodeRequest({ cmd: 3, host: '0.0.0.0', port: 0 }), SocksReply.COMMAND_NOT_SUPPORTED, 'command_not_supported'],
    ['unknown CMD', hex('05 09 00 01 00000000 0000'), SocksReply.COMMAND_NOT_SUPPORTED, 'bad_command'],
    ['bad ATYP', hex('05 01 00 02 00000000 0000'), SocksReply.ADDRESS_TYPE_NOT_SUPPORTED, 'bad_atyp'],
    ['empty domain', hex('05 01 00 03 00 0050'), SocksReply.GENERAL_FAILURE, 'bad_frame'],
    ['non-zero RSV', hex('05 01 01 01 00000000 0050'), SocksReply.GENERAL_FAILURE, 'bad_frame'],
  ])('%s: full 10-byte reply then close', (_name, request, rep, reason) => {
    const t = both(Buffer.concat([encodeGreeting([0]), request]), { requireAuth: false });
    expect(t.written).toEqual(Buffer.concat([hex('05 00'), Buffer.from([5, rep, 0, 1, 0, 0, 0, 0, 0, 0])]));
    expect(lastClose(t)).toBe(reason);
    expect(types(t.actions)).not.toContain('connect');
  });

  it('closes a SOCKS4 client or a non-SOCKS peer without writing anything', () => {
    const socks4 = both(hex('04 01 0050 7f000001 00'), { requireAuth: false });
    expect(socks4.actions).toEqual([{ type: 'close', reason: 'socks4' }]);
    const neg = new SocksNegotiation({ requireAuth: false });
    expect(neg.feed(hex('04'))).toEqual([{ type: 'close', reason: 'socks4' }]); // decided on the first byte
    const http = both(Buffer.from('CONNECT example.com:443 HTTP/1.1\r\n\r\n'), { requireAuth: false });
    expect(http.actions).toEqual([{ type: 'close', reason: 'bad_version' }]);
  });

  it('answers a malformed auth sub-negotiation with 01 01', () => {
    const t = both(Buffer.concat([encodeGreeting([2]), hex('05 01 75 01 70')]), { requireAuth: true });
    expect(t.written).toEqual(hex('05 02 01 01'));
    expect(lastClose(t)).toBe('bad_version');
  });

  it('failed(rep) writes the 10-byte failure reply then closes', () => {
    const client = Buffer.concat([encodeGreeting([0]), encodeRequest({ cmd: 1, host: 'down.test', port: 443 })]);
    const t = both(client, { requireAuth: false }, { connectRep: SocksReply.HOST_UNREACHABLE });
    expect(t.written.subarray(2)).toEqual(hex('05 04 00 01 00000000 0000'));
    expect(lastClose(t)).toBe('connect_failed');
  });

  it('closes with too_long when a peer piles up bytes while the caller decides', () => {
    const neg = new SocksNegotiation({ requireAuth: true });
    expect(types(neg.feed(Buffer.concat([encodeGreeting([2]), encodeAuthRequest('u', 'p')])))).toEqual(['write', 'authenticate']);
    expect(neg.feed(Buffer.alloc(1024, 0x41))).toEqual([]);
    expect(neg.feed(Buffer.alloc(1, 0x41))).toEqual([{ type: 'close', reason: 'too_long' }]);
    expect(neg.feed(Buffer.alloc(10))).toEqual([]); // ignored once closed
  });

  it('caps early data while connecting separately', () => {
    const neg = new SocksNegotiation({ requireAuth: false, maxEarlyDataBytes: 100 });
    neg.feed(Buffer.concat([encodeGreeting([0]), encodeRequest({ cmd: 1, host: 'a.test', port: 1 }), Buffer.alloc(100)]));
    expect(neg.state).toBe('connecting');
    expect(neg.feed(Buffer.alloc(1))).toEqual([{ type: 'close', reason: 'too_long' }]);
  });

  it('throws coded errors when the caller answers out of turn', () => {
    const neg = new SocksNegotiation({ requireAuth: false });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return isSwivelError(err) ? err.code : 'other';
      }
      return undefined;
    };
    expect(code(() => neg.authResult(true))).toBe('internal');
    expect(code(() => neg.connected())).toBe('internal');
    neg.feed(Buffer.concat([encodeGreeting([0]), encodeRequest({ cmd: 1, host: 'a.test', port: 1 })]));
    expect(code(() => neg.failed(SocksReply.SUCCEEDED))).toBe('internal');
    neg.connected();
    expect(code(() => neg.feed(Buffer.from('late')))).toBe('internal');
  });
});
