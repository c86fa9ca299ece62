/** Plays a conversation through the bot's pure policy (src/bot/policy.ts), one message after another. */
import type { Decision, Session } from '../../src/bot/types.ts';

/** Each message decided with the session the previous one left; every decision, in order. */
export function playChat(decideOne: (text: string, session: Session) => Decision, texts: readonly string[], session: Session = {}): Decision[] {
  const out: Decision[] = [];
  for (const text of texts) {
    const d = decideOne(text, session);
    out.push(d);
    session = d.session;
  }
  return out;
}
