/**
 * Loading data, the one way every view and shared store does it: one request at a time (a reload
 * asked for meanwhile runs once, after it, so what changed meanwhile is read then), the latest
 * answer wins, and loading and error state to show.
 *
 *   singleFlight(load)        the shared stores (queue, bots, problems): module-level, no state of its own
 *   useLoader(load, options)  a view's data, kept current by polls and live events
 */
import { useCallback, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { live } from './live.js';

/** While the tab is hidden a poll waits at least this long. */
const HIDDEN_POLL_MS = 3_000;

/**
 * Runs `load` one call at a time: a call while one is in flight makes one more run after it
 * (through `rerun` when given: e.g. a throttle), however many calls came. `reset()` forgets a
 * pending rerun; `busy()` says whether a call is in flight.
 */
export function singleFlight(load, { rerun } = {}) {
  let inflight = null;
  let again = false;
  const run = () => {
    if (inflight) {
      again = true;
      return;
    }
    inflight = load().finally(() => {
      inflight = null;
      if (again) {
        again = false;
        (rerun ?? run)();
      }
    });
  };
  return { run, busy: () => inflight !== null, reset: () => (again = false) };
}

/**
 * A view's data: `load({ key, prev })` fetches it (`prev`: what was last loaded for this key, else
 * null). Options:
 *   key       what is loaded: a new key loads at once and drops the answers for the old one; null loads nothing
 *   every     ms: load again this long after each load settles (at least 3 s while the tab is hidden)
 *   on        (event) => boolean: the live events that concern this data
 *   apply     (data, event) => data | null: the event's change applied to what shows (see live.js: an
 *             event may carry the conversation and message it changed); null: reload instead
 *   throttle  ms: reloads for events at most this often (at once after a quiet spell, else one trailing reload)
 *   resync    reload after the live socket reconnects (what happened meanwhile)
 *   merge     (shown, answer) => what to show (default: the answer)
 * Returns { data, dataKey, error, loading, at, reload, set }. The data (and the key it is for)
 * stays while another key loads or a load fails; `error` is the last failure for this key, cleared
 * by the next answer; `at` when the data last came; `set(data | fn)` shows data the caller got
 * otherwise (e.g. an action's answer).
 */
export function useLoader(load, { key = '', every = 0, on = null, apply = null, throttle = 0, resync = false, merge = null } = {}) {
  const shown = useRef(null);
  if (shown.current === null) shown.current = { data: null, dataKey: null, error: null, errorKey: null, loading: key !== null, at: null };
  const [state, setState] = useState(shown.current);
  const latest = useRef(null);
  latest.current = { load, on, apply, merge, key };
  const runner = useRef(() => undefined);

  const update = useCallback((patch) => {
    const next = { ...shown.current, ...(typeof patch === 'function' ? patch(shown.current) : patch) };
    shown.current = next;
    setState(next);
  }, []);

  useEffect(() => {
    if (key === null) {
      if (shown.current.loading) update({ loading: false });
      return undefined;
    }
    let stopped = false;
    let running = false;
    let again = false;
    let timer;
    let throttleTimer = null;
    let throttledAt = 0;
    const run = async () => {
      clearTimeout(timer);
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      if (!shown.current.loading) update({ loading: true });
      const patch = {};
      try {
        const now = shown.current;
        const answer = await latest.current.load({ key, prev: now.dataKey === key ? now.data : null });
        // What shows now: `set` may have changed it during the request.
        const before = shown.current.dataKey === key ? shown.current.data : null;
        const merge = latest.current.merge;
        Object.assign(patch, { data: merge && before !== null ? merge(before, answer) : answer, dataKey: key, error: null, errorKey: null, at: new Date() });
      } catch (err) {
        Object.assign(patch, { error: err, errorKey: key });
      }
      running = false;
      if (stopped) return;
      update({ ...patch, loading: again });
      if (again) {
        again = false;
        run();
        return;
      }
      if (every) timer = setTimeout(run, document.hidden ? Math.max(every, HIDDEN_POLL_MS) : every);
    };
    const soon = () => {
      if (!throttle) return run();
      // A throttle, not a debounce: a steady stream of events must not put the reload off forever.
      // The first event after a quiet spell reloads at once; the ones after it join one trailing reload.
      if (throttleTimer) return undefined;
      const fire = () => {
        throttleTimer = null;
        throttledAt = Date.now();
        run();
      };
      const wait = throttledAt + throttle - Date.now();
      if (wait <= 0) fire();
      else throttleTimer = setTimeout(fire, wait);
      return undefined;
    };
    const offs = [];
    if (on) {
      offs.push(
        live.on('event', (event) => {
          if (!latest.current.on?.(event)) return;
          const shownNow = shown.current;
          // Applied only over data of this key with no read in flight (an answer on its way may predate the event).
          const applied = latest.current.apply && shownNow.dataKey === key && shownNow.data !== null && !running ? latest.current.apply(shownNow.data, event) : null;
          if (applied) update({ data: applied, at: new Date() });
          else soon();
        }),
      );
    }
    if (resync) offs.push(live.on('resync', () => run()));
    runner.current = run;
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(throttleTimer);
      offs.forEach((off) => off());
      runner.current = () => undefined;
    };
  }, [key]);

  const reload = useCallback(() => runner.current(), []);
  const set = useCallback(
    (data) => update((s) => ({ data: typeof data === 'function' ? data(s.data) : data, dataKey: latest.current.key, error: null, errorKey: null })),
    [],
  );
  return {
    data: state.data,
    dataKey: state.dataKey,
    error: state.errorKey === key ? state.error : null,
    loading: state.loading,
    at: state.at,
    reload,
    set,
  };
}
