/** Escape closes a dialog (unless something inside it already used the key). */
import { useEffect } from '/vendor/preact-htm.js';

export function useEscape(onClose) {
  useEffect(() => {
    const onKey = (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      e.preventDefault();
      onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
}
