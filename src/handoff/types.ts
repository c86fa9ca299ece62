import type { Tier } from './sla.ts';

export type { Tier };

export const STATUSES = ['bot', 'waiting', 'active', 'awaiting_fix', 'resolved'] as const;
export type ConversationStatus = (typeof STATUSES)[number];

/** Why a chat went to a person. */
/**
 * low_rating: the customer rated 1-2 and wrote again within the follow-up window; complaint: an angry
 * message about the service the FAQ does not answer. Both are due as a VIP's: handled first.
 */
export const HANDOFF_REASONS = ['customer_asked', 'low_confidence', 'not_helpful', 'non_text', 'agent_initiated', 'low_rating', 'complaint'] as const;
export type HandoffReason = (typeof HANDOFF_REASONS)[number];

export type MessageFrom = 'customer' | 'bot' | 'agent' | 'system' | 'note';

/** What identifies a customer's conversation: the bot account and the stable customer id. */
export interface CustomerRef {
  botId: string;
  customerId: string;
  /** Display name as WeChat shows it (personal data: never logged). */
  customerName?: string;
}

export interface Conversation {
  id: string;
  botId: string;
  status: ConversationStatus;
  customer: { id: string; name: string; tier: Tier };
  assignee: { id: string; name: string } | null;
  reason: HandoffReason | null;
  /** The customer's question when handed off (first line), for the queue. */
  question: string | null;
  slaDueAt: string | null;
  slaWarnAt: string | null;
  waitingSince: string | null;
  firstResponseAt: string | null;
  problemId: string | null;
  /** Who closed it (an agent id, or 'system' for a fix notice), while it is resolved; else null. */
  resolvedBy: string | null;
  createdAt: string;
  updatedAt: string;
  tags: string[];
  /** Customer messages the owner has not read (active or parked chats; else 0). */
  unread: number;
  /** The latest customer message that says something (not a control word the bot took), for rows. */
  preview: string | null;
}

export interface TranscriptMessage {
  /** Stream entry id: orders the transcript and lets a reader continue after it. */
  id: string;
  from: MessageFrom;
  text: string;
  at: string;
  /** The FAQ entry the bot answered with, and its confidence. */
  faqId?: string;
  confidence?: number;
  agentId?: string;
  agentName?: string;
  /** System events: waiting, claimed, transferred, released, resolved, parked. */
  event?: string;
  /** Non-text customer messages: image, voice, file, sticker, link, … */
  kind?: string;
  /** A link to the file, where the puppet provides one. */
  url?: string;
  /** WeChat's id of the customer's message, or the outbound id of an agent's reply. */
  msgId?: string;
}

export interface NewMessage {
  from: MessageFrom;
  text: string;
  faqId?: string;
  confidence?: number;
  kind?: string;
  url?: string;
  msgId?: string;
  agentId?: string;
  agentName?: string;
}

export type HandoffEventType =
  | 'message'
  | 'waiting'
  | 'claimed'
  | 'transferred'
  | 'released'
  | 'resolved'
  | 'reopened'
  | 'parked'
  /** A known problem the conversation was linked to was fixed, and the customer told (data.problemId, status). */
  | 'fixed'
  | 'sla_warning'
  | 'sla_breach'
  | 'tags'
  | 'tier'
  /** A waiting customer complained: the chat is due sooner (data.reason complaint, slaDueAt). */
  | 'escalated'
  /** The bot account's WeChat login changed (data.status: scan, logged_in, logged_out, stopped). */
  | 'bot_status'
  /** A customer rated the service 1 or 2 (data.score): a manager should look. */
  | 'low_rating'
  /** The owner read the chat: its unread count is 0 again (data.agentId). */
  | 'read';

export interface HandoffEvent {
  /** Stream entry id (per bot account): where a reader resumes. */
  id: string;
  botId: string;
  type: HandoffEventType;
  conv: string;
  at: string;
  /** Other fields of the event (agentId, reason, msg, from, status, slaDueAt, …). */
  data: Record<string, string>;
}

/** What the bot delivers to WeChat: an agent's reply, or a control message such as `resolved`. */
export interface OutboundMessage {
  /** Stream entry id. */
  entryId: string;
  /** Unique id of this message: the dedupe key. */
  msgId: string;
  /**
   * text: an agent's reply; resolved / fixed / joined (text = the agent's name) / late (text = the
   * new estimate in ms, after an SLA breach) / parked (set aside on a known problem): notices the bot words.
   */
  kind: 'text' | 'resolved' | 'notice' | 'fixed' | 'joined' | 'late' | 'parked';
  conv: string;
  customerId: string;
  text: string;
  at: string;
  /** kind fixed: the known problem's title (`text` is the fix note). */
  title?: string;
}

/**
 * What the bot made of one customer message, counted for editors and the funnel: answered with an
 * entry, offered a "did you mean" list, could not answer, or the customer's verdict on an answer.
 * `picked`: the customer chose an entry from a "did you mean" list (evidence that their question
 * means that entry); `rejected`: right after an answer the customer asked for a person (evidence the
 * answer was wrong); `smalltalk`: chit-chat answered with a short reply and the menu.
 */
/** rating_comment: what went wrong, in the customer's words, after a 1-2 rating (`question` carries it). */
export const TURN_OUTCOMES = ['answer', 'suggest', 'unanswered', 'helpful', 'not_helpful', 'rating', 'picked', 'rejected', 'smalltalk', 'rating_comment'] as const;
export interface TurnOutcome {
  type: (typeof TURN_OUTCOMES)[number];
  faqId?: string;
  /** rating: the customer's 1-5 after a resolve. */
  score?: number;
  /** The customer's question it was about (unanswered / not helpful: kept for editors). */
  question?: string;
}

/** A question the FAQ did not answer, as editors see it. */
export interface KnowledgeGap {
  id: string;
  conv: string;
  /** suggested: a "did you mean" list the customer never picked from. */
  reason: 'unanswered' | 'not_helpful' | 'suggested';
  text: string;
  faqId: string | null;
  at: string;
}

export interface Agent {
  id: string;
  name: string;
  /**
   * The name customers hear when this agent joins ("我是客服{agent}"); '' or absent = none (the bot
   * says a phrase without a name): `name` is internal and never said to customers.
   */
  publicName?: string;
}
