/** Plays a conversation through the bot's pure policy (src/bot/policy.ts), one message after another. */
import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';
import { loadMessages, type Messages } from '../../src/bot/messages.ts';
import { decide, DEFAULT_POLICY_OPTIONS, type PolicyKnowledge } from '../../src/bot/policy.ts';
import type { Decision, Session } from '../../src/bot/types.ts';
import type { ConversationStatus } from '../../src/handoff/index.ts';
import { loadKnowledgeBase, Matcher, menuEntries } from '../../src/knowledge/index.ts';

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

/** A knowledge base directory as the policy reads it, with its phrases. */
async function policyOf(dir: string): Promise<{ kb: PolicyKnowledge; messages: Messages }> {
  const base = await loadKnowledgeBase(dir);
  return { kb: { matcher: new Matcher(base), menu: menuEntries(base) }, messages: await loadMessages(dir) };
}

/** The product's own FAQ (knowledge-base/) as the policy reads it, with its phrases. */
export const productPolicy = (): Promise<{ kb: PolicyKnowledge; messages: Messages }> => policyOf(fileURLToPath(new URL('../../knowledge-base', import.meta.url)));

/** The policy tests' own knowledge base (test/fixtures/policy-kb): the rules are asserted, not the product FAQ's wording. */
export const fixturePolicy = (): Promise<{ kb: PolicyKnowledge; messages: Messages }> => policyOf(fileURLToPath(new URL('../fixtures/policy-kb', import.meta.url)));

const T0 = Date.UTC(2026, 0, 5, 2);

/**
 * The product FAQ's policy (loaded before the file's tests) and the helpers the stranger-test
 * files share: `at` decides one message, `chat` plays several after a greeting.
 */
export function productTurns(): {
  readonly kb: PolicyKnowledge;
  readonly messages: Messages;
  at: (text: string, session?: Session, status?: ConversationStatus, now?: number) => Decision;
  chat: (texts: string[]) => Decision[];
  said: (d: Decision) => string[];
  answered: (d: Decision) => string[];
} {
  const loaded: { kb?: PolicyKnowledge; messages?: Messages } = {};
  beforeAll(async () => {
    Object.assign(loaded, await productPolicy());
  });
  const at = (text: string, session: Session = {}, status: ConversationStatus = 'bot', now = T0): Decision =>
    decide({ text, status, session, now }, loaded.kb!, loaded.messages!, DEFAULT_POLICY_OPTIONS);
  return {
    get kb() {
      return loaded.kb!;
    },
    get messages() {
      return loaded.messages!;
    },
    at,
    chat: (texts) => playChat((text, s) => at(text, s), texts, { greeted: true }),
    said: (d) => d.actions.flatMap((a) => (a.type === 'say' ? [a.text] : [])),
    answered: (d) => d.actions.flatMap((a) => (a.type === 'answer' ? [a.faqId] : [])),
  };
}
