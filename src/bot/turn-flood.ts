/**
 * The turn's flood handling (./guard.ts has the counters): the cap on what a true flood stores one
 * by one, with its note in the transcript, and the throttle on what the bot itself says. Every
 * customer message below the cap is recorded; only the bot's replies are held back.
 */
import type { Logger } from 'pino';
import type { ConversationStatus } from '../handoff/index.ts';
import type { BotRuntimeConfig } from './config.ts';
import { floodCutText } from './format.ts';
import { FloodCap, FloodGuard } from './guard.ts';
import type { Decision, Session } from './types.ts';
import type { WriteChain, WriteOp } from './writes.ts';

/** What the flood handling needs of the turn's per-customer state. */
export interface FloodState extends WriteChain {
  session: Session;
  turn: Promise<void>;
  /** Notes a flood cut in the transcript if no stored message does first. */
  cutTimer?: NodeJS.Timeout;
}

/** A person has the chat: the bot says next to nothing, and nothing the customer sends is throttled. */
export const PERSON_STATUSES: ReadonlySet<ConversationStatus> = new Set(['waiting', 'active', 'awaiting_fix']);

export class TurnFlood {
  private readonly flood: FloodGuard;
  private readonly cap: FloodCap;
  private readonly cutFlushMs: number;

  constructor(
    c: BotRuntimeConfig,
    private readonly o: {
      /** A transcript line, on the customer's write chain (not waited for). */
      note(st: FloodState, op: Extract<WriteOp, { kind: 'message' }>): void;
      /** The phrase the bot says once when it pauses. */
      pauseText(): string;
      logger?: Logger;
    },
  ) {
    const now = c.now ?? Date.now;
    this.flood = new FloodGuard({ ...(c.flood ?? { max: 10, windowS: 10, muteS: 60 }), now });
    this.cap = new FloodCap({ perMin: c.floodCap?.perMin ?? 100, now });
    this.cutFlushMs = c.floodCap?.flushMs ?? 10_000;
  }

  /** The flood cap: false when this message is only counted (a true flood). */
  admit(st: FloodState, text: string): boolean {
    const key = st.customer.key;
    const cutting = this.cap.cutting(key);
    if (this.cap.take(key, text)) {
      // The note goes in before the message that ends the cut.
      if (cutting) this.noteCut(st);
      return true;
    }
    if (!cutting) {
      this.o.logger?.warn('customer flood: messages beyond the cap are counted, not stored one by one');
      st.cutTimer = setTimeout(() => this.noteCut(st), this.cutFlushMs);
      st.cutTimer.unref();
    }
    return false;
  }

  /** Writes what the flood cut so far into the transcript, in turn order. */
  noteCut(st: FloodState): void {
    clearTimeout(st.cutTimer);
    st.cutTimer = undefined;
    st.turn = st.turn.then(() => {
      const cut = this.cap.drain(st.customer.key);
      if (!cut) return;
      this.o.note(st, { kind: 'message', msg: { from: 'system', kind: 'flood_cut', text: floodCutText(cut) } });
    });
  }

  /**
   * The bot's replies, throttled while the bot has the chat or answers from the FAQ while the
   * customer waits for a person. A handoff still goes through (a person is the way out of a flood,
   * and the customer hears where they stand); the rest is recorded without a reply, and the session
   * stays as the customer last saw it.
   */
  throttle(st: FloodState, status: ConversationStatus, d: Decision): Decision {
    if (!d.actions.some((a) => a.type === 'say' || a.type === 'answer')) return d;
    if (PERSON_STATUSES.has(status) && !d.actions.some((a) => a.type === 'answer')) return d;
    const verdict = this.flood.check(st.customer.key);
    if (verdict === 'ok') return d;
    const handoffs = d.actions.filter((a) => a.type === 'handoff');
    if (handoffs.length > 0) return { actions: handoffs, session: d.session };
    if (verdict === 'warn') this.o.logger?.info('customer flooding: the bot pauses its replies (messages are still recorded)');
    return { actions: verdict === 'warn' ? [{ type: 'say', text: this.o.pauseText() }] : [], session: st.session };
  }
}
