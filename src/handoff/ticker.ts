import type { Logger } from 'pino';
import type { HandoffContext } from './context.ts';
import type { BotRegistry } from './registry.ts';
import { slaTick } from './scripts.ts';
import { addBusinessMinutes } from './sla.ts';

/** Most timers one bot account fires per tick; the rest fire on the next. */
const TICK_LIMIT = 500;
/**
 * A customer whose promised time passed is told a new one this many business minutes on: short
 * enough to mean "soon" (the breach also warns the agents and managers), counted in business time
 * so a breach at closing time does not promise a reply during the night.
 */
export const APOLOGY_EXTRA_MINUTES = 15;

export interface SlaFired {
  warnings: number;
  breaches: number;
}

/** Fires every bot account's due SLA warnings and breaches as events (each once, whoever ticks). */
export async function tickSla(ctx: HandoffContext, registry: BotRegistry): Promise<SlaFired> {
  const fired = { warnings: 0, breaches: 0 };
  const now = ctx.now();
  const apologyEstimate = addBusinessMinutes(now, APOLOGY_EXTRA_MINUTES, ctx.policy.hours);
  for (const botId of await registry.bots()) {
    const { warnings, breaches } = await slaTick(ctx.redis, ctx.keys, { botId, now, limit: TICK_LIMIT, eventsMaxLen: ctx.maxLen, apologyEstimate, outboundMaxLen: ctx.maxLen });
    fired.warnings += warnings;
    fired.breaches += breaches;
  }
  return fired;
}

/**
 * Fires due SLA warnings and breaches every `intervalMs`. Any number of processes may run one:
 * the tick script pops each timer once, so every event still fires exactly once.
 */
export function startSlaTicker(
  handoff: { tickSlaCounts(): Promise<SlaFired> },
  opts: { intervalMs?: number; logger?: Logger; onFired?: (fired: SlaFired) => void } = {},
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
