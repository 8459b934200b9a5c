/**
 * The dialer's one timer (server/dial-schedule.ts) on a ManualClock: each dial is told exactly at
 * its time, in the order dials entered, never after it left; one clock timer however many dials.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { DialSchedule, type Scheduled } from '../src/server/dial-schedule.js';

function item(name: string, log: string[], clock: ManualClock, again?: () => void): Scheduled {
  return {
    dueAt: 0,
    prevDue: undefined,
    nextDue: undefined,
    scheduled: false,
    due() {
      log.push(`${name}@${clock.now() - START}`);
      again?.();
    },
  };
}

const START = 1_700_000_000_000;

describe('DialSchedule', () => {
  it('tells each item at its time, in entry order at one instant, with one clock timer', () => {
    const clock = new ManualClock(START);
    const s = new DialSchedule(clock);
    const log: string[] = [];
    const a = item('a', log, clock);
    const b = item('b', log, clock);
    const c = item('c', log, clock);
    s.at(a, START + 300);
    s.at(b, START + 100);
    s.at(c, START + 100);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(99);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['b@100', 'c@100']);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(200);
    expect(log).toEqual(['b@100', 'c@100', 'a@300']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never tells an item that left, and moves an item to its new time', () => {
    const clock = new ManualClock(START);
    const s = new DialSchedule(clock);
    const log: string[] = [];
    const a = item('a', log, clock);
    const b = item('b', log, clock);
    s.at(a, START + 100);
    s.at(b, START + 200);
    s.cancel(a);
    s.cancel(a);
    clock.advance(150);
    expect(log).toEqual([]);
    s.at(b, START + 400); // later than before: told at 400, not 200
    clock.advance(100);
    expect(log).toEqual([]);
    clock.advance(150);
    expect(log).toEqual(['b@400']);
  });

  it('lets an item enter again from its own call, and arms earlier for an earlier item', () => {
    const clock = new ManualClock(START);
    const s = new DialSchedule(clock);
    const log: string[] = [];
    let rounds = 0;
    const a: Scheduled = item('a', log, clock, () => {
      if (++rounds < 3) s.at(a, clock.now() + 50);
    });
    const late = item('late', log, clock);
    s.at(late, START + 1000);
    s.at(a, START + 50);
    clock.advance(200);
    expect(log).toEqual(['a@50', 'a@100', 'a@150']);
    clock.advance(800);
    expect(log).toEqual(['a@50', 'a@100', 'a@150', 'late@1000']);
    expect(clock.pendingTimers).toBe(0);
  });
});
