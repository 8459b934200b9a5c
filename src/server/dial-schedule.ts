/**
 * One clock timer for every dial of a Dialer, instead of one per dial: each dial only records when
 * it is due next (its hedge point or its budget's end) in an intrusive list, O(1) to enter and to
 * leave, and the one timer is armed at the earliest time some dial is due. A dial that ends long
 * before its time (nearly all do) costs no timer at all; when the timer fires with nothing due it
 * scans the dials in flight (tens) and re-arms at the earliest of them, so under steady load it
 * fires about once per `--attempt-timeout`. Time is the injected clock's, so tests move it by hand.
 */
import type { Clock, TimerHandle } from '../clock.js';

/** A dial's place in the schedule; the schedule owns these fields. */
export interface Scheduled {
  dueAt: number;
  prevDue: Scheduled | undefined;
  nextDue: Scheduled | undefined;
  scheduled: boolean;
  /** Called once its time has come (it left the schedule first; it may enter again). */
  due(): void;
}

export class DialSchedule {
  private head: Scheduled | undefined = undefined;
  private tail: Scheduled | undefined = undefined;
  private timer: TimerHandle | undefined = undefined;
  /** When the timer fires; Infinity when it is not armed. */
  private timerAt = Infinity;

  constructor(private readonly clock: Clock) {}

  /** `item` is due at `dueAt` (clock ms), replacing any earlier time it had. */
  at(item: Scheduled, dueAt: number): void {
    item.dueAt = dueAt;
    if (!item.scheduled) {
      item.scheduled = true;
      item.prevDue = this.tail;
      item.nextDue = undefined;
      if (this.tail === undefined) this.head = item;
      else this.tail.nextDue = item;
      this.tail = item;
    }
    if (dueAt < this.timerAt) this.arm(dueAt);
  }

  /** `item` is no longer due (its dial settled). The timer stays; it re-arms or stops when it fires. */
  cancel(item: Scheduled): void {
    if (!item.scheduled) return;
    item.scheduled = false;
    const { prevDue, nextDue } = item;
    if (prevDue === undefined) this.head = nextDue;
    else prevDue.nextDue = nextDue;
    if (nextDue === undefined) this.tail = prevDue;
    else nextDue.prevDue = prevDue;
    item.prevDue = item.nextDue = undefined;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let due: Scheduled[] | undefined;
    for (let item = this.head; item !== undefined;) {
      const next = item.nextDue;
      if (item.dueAt <= now) {
        this.cancel(item);
        (due ??= []).push(item);
      }
      item = next;
    }
    // In the order they entered, as their own timers would have fired at the same instant.
    if (due !== undefined) for (const item of due) item.due();
    let earliest = Infinity;
    for (let item = this.head; item !== undefined; item = item.nextDue) if (item.dueAt < earliest) earliest = item.dueAt;
    if (earliest < this.timerAt) this.arm(earliest);
  }
}
