/**
 * The channel of a conversation as agents see it: which door the customer came through and what
 * WeChat still allows (微信客服 and Official Accounts: 5 replies within 48 h of the customer's
 * last message). The bot records its channel in the registry; the window is counted by the
 * channel adapter in Redis, so every console reads the same numbers.
 */
import { parseConversationId, type Handoff } from '../handoff/index.ts';
import type { ApiChannel } from './serialize.ts';

export async function channelOf(handoff: Handoff, conversationId: string, now = Date.now()): Promise<ApiChannel | null> {
  const { botId, customerId } = parseConversationId(conversationId);
  const info = await handoff.registry.channel(botId);
  if (!info) return null;
  const w = await handoff.registry.serviceWindow(botId, customerId, info, now);
  return {
    kind: info.kind,
    label: info.label,
    maxTextBytes: info.maxTextBytes,
    window: w ? { remaining: w.remaining, maxReplies: w.maxReplies, closesAt: w.closesAt === null ? null : new Date(w.closesAt).toISOString() } : null,
  };
}
