/**
 * Past conversations for the tag model's tests: the hand-written labelled set
 * (test/fixtures/tagging) played through the handoff as a bot, a customer and an agent would
 * (customer messages, the bot's FAQ answers, a handoff, the agent's replies and tags, resolved).
 */
import path from 'node:path';
import type { Handoff } from '../../src/handoff/index.ts';
import type { LabelledConversation } from '../../src/tagging/index.ts';
import { readLabelled } from '../../src/tagging/fixtures.ts';

export const TAGGING_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/tagging');
export const trainSet = (): LabelledConversation[] => readLabelled(path.join(TAGGING_FIXTURES, 'train.jsonl'));
export const holdoutSet = (): LabelledConversation[] => readLabelled(path.join(TAGGING_FIXTURES, 'holdout.jsonl'));

export interface SeedAgent {
  id: string;
  name: string;
}

/** Plays one conversation up to the agent's reply; returns its id. `tags`: set by the agent; `resolve`: closed after. */
export async function playConversation(
  handoff: Handoff,
  c: Pick<LabelledConversation, 'id' | 'customer' | 'agent' | 'faqIds'> & { tags?: readonly string[] },
  agent: SeedAgent,
  o: { botId?: string; resolve?: boolean; claim?: boolean } = {},
): Promise<string> {
  const ref = { botId: o.botId ?? 'botA', customerId: c.id, customerName: `客户${c.id}` };
  const [first, ...rest] = c.customer;
  await handoff.recordMessage(ref, { from: 'customer', text: first! });
  for (const faqId of c.faqIds) await handoff.recordMessage(ref, { from: 'bot', text: '（机器人的回答）', faqId, confidence: 0.7 });
  for (const text of rest) await handoff.recordMessage(ref, { from: 'customer', text });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: first! });
  const id = `${ref.botId}.${c.id}`;
  if (o.claim === false) return id;
  await handoff.claim(id, agent);
  for (const text of c.agent) await handoff.reply(id, agent, text);
  if (c.tags?.length) await handoff.setTags(id, [...c.tags], { by: agent.id });
  if (o.resolve !== false) await handoff.resolve(id, { by: agent.id, rate: false });
  return id;
}

/** Every conversation of `set`, tagged and resolved by `agent`. */
export async function seedHistory(handoff: Handoff, set: readonly LabelledConversation[], agent: SeedAgent, botId = 'botA'): Promise<void> {
  for (const c of set) await playConversation(handoff, c, agent, { botId });
}
