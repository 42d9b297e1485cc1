import type { Clock } from '../../src/core/ports/clock.js';

/** A clock tests move by hand. */
export class TestClock implements Clock {
  t = Date.parse('2026-01-01T00:00:00Z');
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
