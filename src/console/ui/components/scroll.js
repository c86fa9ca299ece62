import { useEffect, useLayoutEffect, useRef } from '/vendor/preact-htm.js';

/**
 * Keeps the newest line of a scrolling list in view (when `dep` changes) unless the reader scrolled
 * up, more than `slack` px from the bottom, to read. `followResize`: stay at the bottom when the box
 * shrinks too (an input growing a line, the window). Returns the list's ref and onScroll, and
 * reset() to follow again (after sending).
 */
export function useStickToBottom(dep, { slack = 80, followResize = false } = {}) {
  const ref = useRef(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [dep]);
  useEffect(() => {
    const el = ref.current;
    if (!followResize || !el || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const onScroll = () => {
    const el = ref.current;
    if (el) atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < slack;
  };
  return { ref, onScroll, reset: () => (atBottom.current = true) };
}
