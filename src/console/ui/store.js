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
  const rendered = store.get();
  useEffect(() => {
    const unsubscribe = store.subscribe(rerender);
    // A change between the first render and this subscription would otherwise never show (a list
    // loaded while the view mounted stayed "正在加载" for good).
    if (store.get() !== rendered) rerender();
    return unsubscribe;
  }, [store]);
  return rendered;
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
