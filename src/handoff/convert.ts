import type { Conversation, ConversationStatus, HandoffEvent, HandoffReason, MessageFrom, TranscriptMessage, Tier } from './types.ts';

/** Epoch ms as stored in Redis to ISO-8601; null when absent. */
export const iso = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null);

/** A JSON list of strings as stored (tags); [] for anything else. */
export function parseTags(raw: string | null | undefined): string[] {
  try {
    const v: unknown = JSON.parse(raw ?? '[]');
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

/** A conversation hash as stored by the Lua scripts, in the API's shape. */
export function toConversation(h: Record<string, string>): Conversation {
  return {
    id: h.id!,
    botId: h.botId!,
    status: h.status as ConversationStatus,
    customer: { id: h.customerId!, name: h.customerName ?? '', tier: (h.tier as Tier | undefined) ?? 'standard' },
    assignee: h.assigneeId ? { id: h.assigneeId, name: h.assigneeName ?? h.assigneeId } : null,
    reason: (h.reason as HandoffReason | undefined) ?? null,
    question: h.question || null,
    slaDueAt: iso(h.slaDueAt),
    slaWarnAt: iso(h.slaWarnAt),
    waitingSince: iso(h.waitingSince),
    firstResponseAt: iso(h.firstResponseAt),
    problemId: h.problemId || null,
    resolvedBy: h.status === 'resolved' ? h.resolvedBy || null : null,
    createdAt: iso(h.createdAt)!,
    updatedAt: iso(h.updatedAt ?? h.createdAt)!,
    tags: parseTags(h.tags),
  };
}

/** Stream entries come back as [id, [field, value, …]]. */
export function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

export function toMessage(id: string, f: Record<string, string>): TranscriptMessage {
  const m: TranscriptMessage = { id, from: f.from as MessageFrom, text: f.text ?? '', at: iso(f.at) ?? '' };
  if (f.faqId) m.faqId = f.faqId;
  if (f.confidence) m.confidence = Number(f.confidence);
  for (const k of ['agentId', 'agentName', 'event', 'kind', 'url', 'msgId'] as const) if (f[k]) m[k] = f[k];
  return m;
}

/** An events-stream entry as consoles receive it. */
export function toEvent(botId: string, id: string, flat: string[]): HandoffEvent {
  const { type, conv, at, ...data } = fieldsOf(flat);
  return {
    id,
    botId,
    type: type as HandoffEvent['type'],
    conv: conv ?? '',
    at: at ? new Date(Number(at)).toISOString() : '',
    data,
  };
}
