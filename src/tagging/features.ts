/**
 * What a conversation says, as the tag model reads it: the words of the customer's and the agents'
 * messages cut by the knowledge engine's own segmenter (so "退款" here is the word the FAQ matches
 * on), and the FAQ entries the bot answered with or offered (`faq:<id>`). A feature is present or
 * not: a customer who writes "退款" five times is not five times more about refunds.
 */
import { cutForIndex } from '../knowledge/engine/segmenter.ts';
import { isWordToken, normalize } from '../knowledge/engine/text.ts';

/** One conversation as the model sees it (the transcript, read by source.ts or written in a fixture). */
export interface TaggingInput {
  /** The customer's messages, oldest first. */
  customer: readonly string[];
  /** The agents' replies (their wording names the topic as often as the customer's does). */
  agent: readonly string[];
  /** FAQ entries the bot answered with or offered, right or wrong. */
  faqIds: readonly string[];
}

/** A conversation with the tags agents gave it: one training example. */
export interface LabelledConversation extends TaggingInput {
  id: string;
  tags: readonly string[];
}

export const FAQ_PREFIX = 'faq:';
/** Messages read per conversation: the topic is set early; a 300-message chat is no more about it. */
const MAX_MESSAGES = 60;
const MAX_CHARS = 4_000;

/**
 * Single characters (的, 了, 我) and bare numbers (order numbers, amounts) say nothing about a
 * topic and would let the model memorise conversations instead of learning words.
 */
function keep(word: string): boolean {
  return [...word].length >= 2 && isWordToken(word) && !/^\d+$/.test(word);
}

/** The distinct features of a conversation, in first-seen order. */
export function featuresOf(input: TaggingInput): string[] {
  const out = new Set<string>();
  for (const id of input.faqIds) if (id) out.add(FAQ_PREFIX + id);
  const texts = [...input.customer.slice(0, MAX_MESSAGES), ...input.agent.slice(0, MAX_MESSAGES)];
  let chars = 0;
  for (const text of texts) {
    if (chars >= MAX_CHARS) break;
    const t = normalize(text).slice(0, MAX_CHARS - chars);
    chars += t.length;
    for (const w of cutForIndex(t)) if (keep(w)) out.add(w);
  }
  return [...out];
}
