import type { Conversation, TranscriptMessage } from '../handoff/index.ts';

/** A conversation as the API shows it (spec: id, status, customer, assignee, slaDueAt, createdAt, updatedAt, tags; plus extras). */
export interface ApiConversation {
  id: string;
  botId: string;
  status: Conversation['status'];
  customer: { id: string; name: string; tier: string };
  assignee: { id: string; name: string } | null;
  slaDueAt: string | null;
  slaWarnAt: string | null;
  waitingSince: string | null;
  firstResponseAt: string | null;
  reason: string | null;
  question: string | null;
  problemId: string | null;
  /** Who closed it, while resolved (the UI offers the tag editor to them and to managers). */
  resolvedBy: string | null;
  createdAt: string;
  updatedAt: string;
  tags: string[];
}

export interface ApiMessage {
  id: string;
  from: TranscriptMessage['from'];
  text: string;
  at: string;
  faqId?: string;
  confidence?: number;
  agentName?: string;
  event?: string;
  kind?: string;
}

/** Fields picked one by one, so nothing the handoff adds later leaks out unreviewed. */
export function toApiConversation(c: Conversation): ApiConversation {
  return {
    id: c.id,
    botId: c.botId,
    status: c.status,
    customer: { id: c.customer.id, name: c.customer.name, tier: c.customer.tier },
    assignee: c.assignee ? { id: c.assignee.id, name: c.assignee.name } : null,
    slaDueAt: c.slaDueAt,
    slaWarnAt: c.slaWarnAt,
    waitingSince: c.waitingSince,
    firstResponseAt: c.firstResponseAt,
    reason: c.reason,
    question: c.question,
    problemId: c.problemId,
    resolvedBy: c.resolvedBy,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    tags: [...c.tags],
  };
}

export function toApiMessage(m: TranscriptMessage): ApiMessage {
  const out: ApiMessage = { id: m.id, from: m.from, text: m.text, at: m.at };
  if (m.faqId !== undefined) out.faqId = m.faqId;
  if (m.confidence !== undefined) out.confidence = m.confidence;
  if (m.agentName !== undefined) out.agentName = m.agentName;
  if (m.event !== undefined) out.event = m.event;
  if (m.kind !== undefined) out.kind = m.kind;
  return out;
}
