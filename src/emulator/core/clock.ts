/**
 * Emulated time: every modelled delay is multiplied by one scale factor (0 = instant). `now()` stays
 * the wall clock, because timestamps the emulator hands out (createTime, heartbeats) must be real.
 */
import type { EmulatorClock } from './contract.js';

export class ScaledClock implements EmulatorClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(readonly scale: number) {}

  now(): number {
    return Date.now();
  }

  /** Real milliseconds that `ms` of emulated time take. */
  real(ms: number): number {
    return Math.max(0, ms * this.scale);
  }

  sleep(ms: number): Promise<void> {
    return this.sleepReal(this.real(ms));
  }

  /** Waits real milliseconds, cancellable by stop(); a stopped clock never wakes anyone up. */
  sleepReal(realMs: number): Promise<void> {
    if (this.stopped) return new Promise(() => undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, realMs);
      // Pending model timers never keep a process alive on their own: the server does that.
      timer.unref();
      this.timers.add(timer);
    });
  }

  /** Cancels every pending sleep (their promises never settle): used by close() and reset. */
  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  stop(): void {
    this.stopped = true;
    this.cancelAll();
  }
}
