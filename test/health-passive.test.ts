import { describe, it, expect } from 'vitest';
import { ERRORS, SwivelError, type ErrorCode } from '../src/errors.js';
import { PassiveHealth, type PassiveHealthOptions } from '../src/health/passive.js';
import type { Endpoint } from '../src/pool/endpoint.js';
import { createLogSink } from './helpers/log-sink.js';
import { stockedPool } from './helpers/pool.js';

const BASE = 30_000;
const MAX = 600_000;

function setup(size: number, options: Partial<PassiveHealthOptions> = {}) {
  const { clock, pool, endpoints } = stockedPool(size, 3_600_000);
  const health = new PassiveHealth({ pool, clock, maxFailures: 3, ejectBaseMs: BASE, ejectMaxMs: MAX, ...options });
  return { clock, pool, health, endpoints };
}

function err(code: ErrorCode): SwivelError {
  return new SwivelError(code, code);
}

describe('PassiveHealth.failure', () => {
  it('counts consecutive failures and ejects at maxFailures', () => {
    const { clock, health, endpoints } = setup(4);
    const e = endpoints[0]!;
    expect(health.failure(e, err('upstream_connect_failed'))).toBe('counted');
    expect(health.failure(e, err('upstream_timeout'))).toBe('counted');
    expect(e.consecutiveFailures).toBe(2);
    expect(e.health).toBe('unknown');
    expect(health.failure(e, err('upstream_reset'))).toBe('ejected');
    expect(e.health).toBe('ejected');
    expect(e.ejectedUntil).toBe(clock.now() + BASE);
    expect(e.ejections).toBe(1);
    expect(health.ejectedTotal).toBe(1);
  });

  it.each((Object.keys(ERRORS) as ErrorCode[]).filter((code) => !ERRORS[code].blamesEndpoint))(
    'ignores %s, which says nothing about the endpoint',
    (code) => {
      const { health, endpoints } = setup(4, { maxFailures: 1 });
      const e = endpoints[0]!;
      expect(health.failure(e, err(code))).toBe('ignored');
      expect(e.consecutiveFailures).toBe(0);
      expect(e.health).toBe('unknown');
    },
  );

  it.each(['upstream_connect_failed', 'upstream_timeout', 'upstream_rejected', 'upstream_reset', 'upstream_protocol'] as const)(
    'counts %s',
    (code) => {
      const { health, endpoints } = setup(4);
      expect(health.failure(endpoints[0]!, err(code))).toBe('counted');
      expect(endpoints[0]!.consecutiveFailures).toBe(1);
    },
  );

  it('ejects at once on upstream_auth_failed', () => {
    const { health, endpoints } = setup(4);
    expect(health.failure(endpoints[0]!, err('upstream_auth_failed'))).toBe('ejected');
    expect(endpoints[0]!.health).toBe('ejected');
  });

  it('ignores further failures of an ejected endpoint', () => {
    const { health, endpoints } = setup(4, { maxFailures: 1 });
    const e = endpoints[0]!;
    health.failure(e, err('upstream_reset'));
    expect(health.failure(e, err('upstream_reset'))).toBe('ignored');
    expect(e.ejections).toBe(1);
    expect(health.ejectedTotal).toBe(1);
  });

  it('a success in between resets the count', () => {
    const { health, endpoints } = setup(4);
    const e = endpoints[0]!;
    health.failure(e, err('upstream_reset'));
    health.failure(e, err('upstream_reset'));
    health.success(e);
    expect(e.consecutiveFailures).toBe(0);
    expect(health.failure(e, err('upstream_reset'))).toBe('counted');
    expect(health.failure(e, err('upstream_reset'))).toBe('counted');
    expect(health.failure(e, err('upstream_reset'))).toBe('ejected');
  });

  it('never ejects more than half of a sub-pool on evidence that may be the target', () => {
    const { health, endpoints } = setup(4, { maxFailures: 1 });
    expect(health.failure(endpoints[0]!, err('upstream_reset'))).toBe('ejected');
    expect(health.failure(endpoints[1]!, err('upstream_reset'))).toBe('ejected');
    expect(health.failure(endpoints[2]!, err('upstream_reset'))).toBe('spared');
    expect(health.failure(endpoints[3]!, err('upstream_rejected'))).toBe('spared');
    expect(endpoints.filter((e) => e.health === 'ejected')).toHaveLength(2);
    expect(endpoints[2]!.health).toBe('unknown');
    expect(health.ejectedTotal).toBe(2);
  });

  it.each(['upstream_timeout', 'upstream_refused', 'upstream_auth_failed'] as const)(
    'ejects past the half-sub-pool cap on %s, the endpoint’s own fault',
    (code) => {
      const { health, endpoints } = setup(4, { maxFailures: 1 });
      health.failure(endpoints[0]!, err('upstream_reset'));
      health.failure(endpoints[1]!, err('upstream_reset'));
      expect(health.failure(endpoints[2]!, err(code))).toBe('ejected');
    },
  );

  it('ejects at once on a refused connect to the endpoint', () => {
    const { health, endpoints } = setup(8);
    expect(health.failure(endpoints[0]!, err('upstream_refused'))).toBe('ejected');
  });

  it.each(['target_unreachable', 'overloaded'] as const)('never counts %s', (code) => {
    const { health, endpoints } = setup(4, { maxFailures: 1 });
    for (let i = 0; i < 10; i++) expect(health.failure(endpoints[0]!, err(code))).toBe('ignored');
    expect(endpoints[0]!.health).toBe('unknown');
  });

  it('spares the only endpoint of a sub-pool, and rounds half down for odd sizes', () => {
    const one = setup(1, { maxFailures: 1 });
    expect(one.health.failure(one.endpoints[0]!, err('upstream_reset'))).toBe('spared');
    const three = setup(3, { maxFailures: 1 });
    expect(three.health.failure(three.endpoints[0]!, err('upstream_reset'))).toBe('ejected');
    expect(three.health.failure(three.endpoints[1]!, err('upstream_reset'))).toBe('spared');
  });

  it('may eject a spared endpoint once another is readmitted', () => {
    const { health, endpoints } = setup(2, { maxFailures: 1 });
    health.failure(endpoints[0]!, err('upstream_reset'));
    expect(health.failure(endpoints[1]!, err('upstream_reset'))).toBe('spared');
    health.readmit(endpoints[0]!, 'test');
    expect(health.failure(endpoints[1]!, err('upstream_reset'))).toBe('ejected');
  });
});

describe('PassiveHealth.success', () => {
  it('marks an unknown endpoint healthy', () => {
    const { health, endpoints } = setup(2);
    health.success(endpoints[0]!);
    expect(endpoints[0]!.health).toBe('healthy');
  });

  it('does not readmit an ejected endpoint', () => {
    const { health, endpoints } = setup(4, { maxFailures: 1 });
    const e = endpoints[0]!;
    health.failure(e, err('upstream_reset'));
    health.success(e);
    expect(e.health).toBe('ejected');
  });
});

describe('PassiveHealth.eject and readmit', () => {
  it('doubles the ejection per ejection, up to ejectMaxMs', () => {
    const { clock, health, endpoints } = setup(2);
    const e: Endpoint = endpoints[0]!;
    const lengths: number[] = [];
    for (let i = 0; i < 7; i++) {
      health.eject(e, 'test');
      lengths.push(e.ejectedUntil - clock.now());
      health.readmit(e, 'test');
    }
    expect(lengths).toEqual([BASE, 2 * BASE, 4 * BASE, 8 * BASE, 16 * BASE, MAX, MAX]);
    expect(e.ejections).toBe(7);
  });

  it('readmit puts an ejected endpoint back with a clean count', () => {
    const { health, endpoints } = setup(4);
    const e = endpoints[0]!;
    health.failure(e, err('upstream_reset'));
    health.failure(e, err('upstream_reset'));
    health.failure(e, err('upstream_reset'));
    health.readmit(e, 'probe succeeded');
    expect(e.health).toBe('healthy');
    expect(e.consecutiveFailures).toBe(0);
    expect(e.ejectedUntil).toBe(0);
    expect(e.ejections).toBe(1);
  });

  it('readmit leaves a non-ejected endpoint alone', () => {
    const { health, endpoints } = setup(2);
    const e = endpoints[0]!;
    health.readmit(e, 'test');
    expect(e.health).toBe('unknown');
  });

  it('logs ejection and readmission with the endpoint id', () => {
    const logs = createLogSink();
    const { health, endpoints } = setup(2, { logger: logs.logger });
    const e = endpoints[0]!;
    health.eject(e, 'upstream_auth_failed');
    health.readmit(e, 'probe succeeded');
    expect(logs.find('endpoint ejected')[0]).toMatchObject({ endpoint: e.id, reason: 'upstream_auth_failed', ejectedForMs: BASE });
    expect(logs.find('endpoint readmitted')[0]).toMatchObject({ endpoint: e.id, why: 'probe succeeded' });
  });
});
