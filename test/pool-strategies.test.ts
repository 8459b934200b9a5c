import { describe, it, expect } from 'vitest';
import { Endpoint } from '../src/pool/endpoint.js';
import { createStrategy, eligible } from '../src/pool/strategies/index.js';
import { LeastUsedStrategy } from '../src/pool/strategies/least-used.js';
import { RandomStrategy } from '../src/pool/strategies/random.js';
import { RoundRobinStrategy } from '../src/pool/strategies/round-robin.js';

const NOW = 1_700_000_000_000;

function endpoints(n: number): Endpoint[] {
  const out: Endpoint[] = [];
  for (let i = 0; i < n; i++) out.push(new Endpoint({ host: `203.0.113.${i + 1}`, port: 8000 + i }, 'k', NOW, NOW + 60_000));
  return out;
}

/** A random source that replays `values` in order. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i % values.length]!;
    i++;
    return v;
  };
}

describe('eligible', () => {
  it('needs a usable endpoint not in avoid', () => {
    const [a, b] = endpoints(2);
    expect(eligible(a!, NOW, undefined)).toBe(true);
    expect(eligible(a!, NOW, [b!])).toBe(true);
    expect(eligible(a!, NOW, [a!])).toBe(false);
    expect(eligible(a!, NOW + 60_000, undefined)).toBe(false);
  });
});

describe('createStrategy', () => {
  it('builds the named strategy, a fresh instance each time', () => {
    expect(createStrategy('round-robin')).toBeInstanceOf(RoundRobinStrategy);
    expect(createStrategy('random')).toBeInstanceOf(RandomStrategy);
    expect(createStrategy('least-used')).toBeInstanceOf(LeastUsedStrategy);
    expect(createStrategy('round-robin')).not.toBe(createStrategy('round-robin'));
  });

  it('passes the random source to the random strategy', () => {
    const list = endpoints(4);
    expect(createStrategy('random', () => 0.5).pick(list, NOW, undefined)).toBe(list[2]);
  });
});

describe('round-robin', () => {
  it('cycles in list order and wraps', () => {
    const list = endpoints(3);
    const s = new RoundRobinStrategy();
    const picked = Array.from({ length: 7 }, () => s.pick(list, NOW, undefined));
    expect(picked).toEqual([list[0], list[1], list[2], list[0], list[1], list[2], list[0]]);
  });

  it('skips unusable endpoints (ejected, retired, expired)', () => {
    const list = endpoints(5);
    list[1]!.health = 'ejected';
    list[2]!.retired = true;
    list[3]!.expiresAt = NOW;
    const s = new RoundRobinStrategy();
    const picked = Array.from({ length: 4 }, () => s.pick(list, NOW, undefined));
    expect(picked).toEqual([list[0], list[4], list[0], list[4]]);
  });

  it('skips endpoints in avoid without losing its place', () => {
    const list = endpoints(3);
    const s = new RoundRobinStrategy();
    expect(s.pick(list, NOW, [list[0]!])).toBe(list[1]);
    expect(s.pick(list, NOW, undefined)).toBe(list[2]);
    expect(s.pick(list, NOW, undefined)).toBe(list[0]);
  });

  it('returns undefined when nothing is eligible, or the list is empty', () => {
    const list = endpoints(2);
    const s = new RoundRobinStrategy();
    expect(s.pick(list, NOW, list)).toBeUndefined();
    expect(s.pick([], NOW, undefined)).toBeUndefined();
  });

  it('keeps cycling when the list shrinks under its cursor', () => {
    const list = endpoints(3);
    const s = new RoundRobinStrategy();
    s.pick(list, NOW, undefined);
    s.pick(list, NOW, undefined);
    s.pick(list, NOW, undefined);
    const shorter = list.slice(0, 2);
    expect(s.pick(shorter, NOW, undefined)).toBe(shorter[1]);
    expect(s.pick(shorter, NOW, undefined)).toBe(shorter[0]);
  });
});

describe('random', () => {
  it('starts at floor(random * n)', () => {
    const list = endpoints(4);
    const s = new RandomStrategy(sequence(0, 0.26, 0.5, 0.99));
    expect([
      s.pick(list, NOW, undefined),
      s.pick(list, NOW, undefined),
      s.pick(list, NOW, undefined),
      s.pick(list, NOW, undefined),
    ]).toEqual([list[0], list[1], list[2], list[3]]);
  });

  it('probes forward, wrapping, past ineligible endpoints', () => {
    const list = endpoints(4);
    list[3]!.health = 'ejected';
    const s = new RandomStrategy(() => 0.9);
    expect(s.pick(list, NOW, undefined)).toBe(list[0]);
    expect(s.pick(list, NOW, [list[0]!])).toBe(list[1]);
  });

  it('returns undefined when nothing is eligible, or the list is empty', () => {
    const list = endpoints(3);
    const s = new RandomStrategy(() => 0.4);
    expect(s.pick(list, NOW, list)).toBeUndefined();
    expect(s.pick([], NOW, undefined)).toBeUndefined();
  });

  it('stays in range even if the source returns 1', () => {
    const list = endpoints(3);
    expect(new RandomStrategy(() => 1).pick(list, NOW, undefined)).toBe(list[0]);
  });
});

describe('least-used', () => {
  it('picks the endpoint handed out the fewest times', () => {
    const list = endpoints(3);
    list[0]!.uses = 4;
    list[1]!.uses = 1;
    list[2]!.uses = 2;
    expect(new LeastUsedStrategy().pick(list, NOW, undefined)).toBe(list[1]);
  });

  it('skips a more-used endpoint at the head of the list', () => {
    const list = endpoints(3);
    list[0]!.uses = 2;
    expect(new LeastUsedStrategy().pick(list, NOW, undefined)).toBe(list[1]);
  });

  it('ignores unusable and avoided endpoints even when they are least used', () => {
    const list = endpoints(4);
    list[0]!.uses = 0;
    list[0]!.health = 'ejected';
    list[1]!.uses = 1;
    list[2]!.uses = 3;
    list[3]!.uses = 2;
    const s = new LeastUsedStrategy();
    expect(s.pick(list, NOW, undefined)).toBe(list[1]);
    expect(s.pick(list, NOW, [list[1]!])).toBe(list[3]);
    expect(s.pick(list, NOW, [list[1]!, list[2]!, list[3]!])).toBeUndefined();
  });
});
