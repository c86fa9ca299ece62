/**
 * Waiting on something observable instead of sleeping: every test and benchmark polls or listens
 * through these, so a failure says what it waited for and what it last saw. Free of vitest (the
 * benchmarks run under tsx).
 *
 * There is no "sleep to show nothing happens" here on purpose: to show that something did *not*
 * happen, wait for a later event that must come after it (a marker message, a drained stream, a
 * reload of a witness), then assert the absence.
 */

import type { EventEmitter } from 'node:events';

/** Long enough for a busy 2-core machine; a failing wait costs this much. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface WaitOptions {
  /** Give up after this long (default DEFAULT_TIMEOUT_MS). */
  timeout?: number;
  /** Poll every this many ms (default 10). */
  interval?: number;
}

type What = string | (() => string);
type Timeout = number | WaitOptions;

const options = (t: Timeout | undefined): Required<WaitOptions> => {
  const o = typeof t === 'number' ? { timeout: t } : (t ?? {});
  return { timeout: o.timeout ?? DEFAULT_TIMEOUT_MS, interval: o.interval ?? 10 };
};
const describe = (what: What | undefined): string => (what === undefined ? 'a condition' : typeof what === 'string' ? what : what());
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns something truthy and returns that; an error thrown by `check`
 * fails the wait at once (so a dead process fails fast). `what` (evaluated at the timeout, when a
 * function) names it in the timeout error.
 */
export function waitFor<T>(what: What, check: () => T | Promise<T>, timeout?: Timeout): Promise<NonNullable<T>>;
export function waitFor<T>(check: () => T | Promise<T>, timeout?: Timeout): Promise<NonNullable<T>>;
export async function waitFor<T>(a: What | (() => T | Promise<T>), b?: (() => T | Promise<T>) | Timeout, c?: Timeout): Promise<NonNullable<T>> {
  const labelled = typeof a === 'string' || typeof b === 'function';
  const what = labelled ? (a as What) : undefined;
  const check = (labelled ? b : a) as () => T | Promise<T>;
  const { timeout, interval } = options(labelled ? c : (b as Timeout | undefined));
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${describe(what)}`);
    await pause(interval);
  }
}

/** Polls `read` until `ok` holds for its value and returns the value; the timeout error shows the last value (or error). */
export async function until<T>(what: What, read: () => Promise<T> | T, ok: (v: T) => boolean, timeout?: Timeout): Promise<T> {
  const { timeout: ms, interval } = options(typeof timeout === 'number' || timeout === undefined ? { timeout, interval: 50 } : { interval: 50, ...timeout });
  const deadline = Date.now() + ms;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${describe(what)}; last value: ${JSON.stringify(last)}${lastErr ? `; last error: ${String(lastErr)}` : ''}`);
    }
    await pause(interval);
  }
}

/**
 * Runs `assertion` until it stops throwing; after the timeout its last error is thrown (with the
 * assertion library's own message). For conditions best said as expectations.
 */
export async function eventually<T>(assertion: () => T | Promise<T>, timeout?: Timeout): Promise<T> {
  const { timeout: ms, interval } = options(timeout);
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await pause(interval);
  }
}

/** Anything with on/off listeners: Node's EventEmitter, an ioredis client, a chokidar watcher… */
export type Listenable = Pick<EventEmitter, 'on' | 'off'>;

/**
 * Resolves with the arguments of the next `event` of `emitter` for which `filter` holds (default:
 * any). Attach it before the action that causes the event.
 */
export function waitForEvent<A extends unknown[] = unknown[]>(
  emitter: Listenable,
  event: string,
  opts: WaitOptions & { filter?: (...args: A) => boolean } = {},
): Promise<A> {
  const ms = opts.timeout ?? DEFAULT_TIMEOUT_MS;
  return new Promise<A>((resolve, reject) => {
    const listener = (...args: A): void => {
      if (opts.filter && !opts.filter(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener as (...args: unknown[]) => void);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener as (...args: unknown[]) => void);
      reject(new Error(`timed out after ${ms} ms waiting for the "${event}" event`));
    }, ms);
    emitter.on(event, listener as (...args: unknown[]) => void);
  });
}
