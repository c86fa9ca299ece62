import { useEffect, useReducer } from '/vendor/preact-htm.js';

/** A tiny observable state: enough for the few things several views share (queue, canned, toasts). */
export function createStore(initial) {
  let state = initial;
  const subs = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...(typeof patch === 'function' ? patch(state) : patch) };
      subs.forEach((cb) => cb(state));
    },
    subscribe(cb) {
      subs.add(cb);
      return () => subs.delete(cb);
    },
  };
}

export function useStore(store) {
  const [, rerender] = useReducer((n) => n + 1, 0);
  useEffect(() => store.subscribe(rerender), [store]);
  return store.get();
}

/** Re-renders every `ms` and returns the current time: waiting clocks and SLA colours. */
export function useNow(ms) {
  const [now, setNow] = useReducer(() => Date.now(), Date.now());
  useEffect(() => {
    const timer = setInterval(setNow, ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
