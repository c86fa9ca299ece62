/**
 * The simulator's notion of "now" (ms since the epoch): WeChat's clock. Service windows, token
 * lifetimes, welcome codes and the timestamps of callbacks all read it, so a test can jump 48 h
 * ahead without waiting. An adapter under test that checks callback timestamps should read the
 * same clock (pass `sim.clock.now`).
 */
export interface SimClock {
  now(): number;
  /** Moves the clock forward (never back: WeChat's time does not run backwards). */
  advance(ms: number): void;
}

/**
 * Real time plus an offset that `advance` grows; `frozen` stops it between advances (for tests
 * that check a boundary to the millisecond).
 */
export function createSimClock(options: { start?: number; frozen?: boolean } = {}): SimClock {
  const { start, frozen = false } = options;
  const base = Date.now();
  let offset = start === undefined ? 0 : start - base;
  return {
    now: () => (frozen ? base : Date.now()) + offset,
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance takes a non-negative number of milliseconds');
      offset += ms;
    },
  };
}

export const seconds = (ms: number): number => Math.floor(ms / 1000);
