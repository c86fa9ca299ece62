import type { Logger } from 'pino';
import type { Handoff } from './handoff.ts';

/**
 * Fires due SLA warnings and breaches every `intervalMs`. Any number of processes may run one:
 * the tick script pops each timer once, so every event still fires exactly once.
 */
export function startSlaTicker(
  handoff: Handoff,
  opts: { intervalMs?: number; logger?: Logger; onFired?: (fired: { warnings: number; breaches: number }) => void } = {},
): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    handoff
      .tickSlaCounts()
      .then((fired) => {
        if (fired.warnings + fired.breaches > 0) opts.onFired?.(fired);
      })
      .catch((err: unknown) => opts.logger?.warn({ err }, 'SLA tick failed'))
      .finally(() => {
        busy = false;
      });
  }, opts.intervalMs ?? 5_000);
  timer.unref();
  return () => clearInterval(timer);
}
