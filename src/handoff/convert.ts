import type { Conversation, ConversationStatus, HandoffEvent, HandoffReason, MessageFrom, TranscriptMessage, Tier } from './types.ts';

/** Epoch ms as stored in Redis to ISO-8601 (as Date's toISOString); null when absent. */
export function iso(ms: string | undefined): string | null {
  if (!ms) return null;
  const t = Number(ms);
  // Whole ms from 1970 to 9999 by hand (a queue page formats hundreds: Date's own was ~6% of its
  // CPU); anything else (fractions, before 1970, garbage: RangeError) by Date.
  if (!Number.isSafeInteger(t) || t < 0 || t > MAX_ISO_MS) return new Date(t).toISOString();
  const day = Math.floor(t / DAY_MS);
  let date = dayPrefixes.get(day);
  if (date === undefined) {
    if (dayPrefixes.size >= MAX_DAY_PREFIXES) dayPrefixes.clear();
    date = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, date);
  }
  let r = t - day * DAY_MS;
  const msPart = r % 1000;
  r = (r - msPart) / 1000;
  const sec = r % 60;
  r = (r - sec) / 60;
  const min = r % 60;
  const hour = (r - min) / 60;
  return `${date}${TWO[hour]}:${TWO[min]}:${TWO[sec]}.${msPart < 10 ? '00' : msPart < 100 ? '0' : ''}${msPart}Z`;
}
const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z: later years are written with six digits and a sign. */
const MAX_ISO_MS = 253_402_300_799_999;
/** "YYYY-MM-DDT" of a day number, for the few days a page's times fall on. */
const dayPrefixes = new Map<number, string>();
const MAX_DAY_PREFIXES = 4096;
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

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
    unread: h.status === 'active' || h.status === 'awaiting_fix' ? Number(h.unread ?? 0) || 0 : 0,
    preview: h.preview || null,
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
