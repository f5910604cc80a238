// A clock the tests set. It starts at the process's time, so that a suite run under faketime reads
// the same moved date as the gateway does; tests that need a particular calendar day set it.
import type { Clock } from "../../src/domain/clock.js";

export class TestClock implements Clock {
  private at: number;

  constructor(at: Date | number = Date.now()) {
    this.at = new Date(at).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  set(at: Date | number): void {
    this.at = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

/** The start of the hour of a clock's now: where demo data ends. */
export const hourOf = (clock: Clock) => new Date(Math.floor(clock.now().getTime() / 3_600_000) * 3_600_000);
