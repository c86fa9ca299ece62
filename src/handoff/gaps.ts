/**
 * The knowledge-gaps stream as editors read it. Besides questions the bot did not answer and
 * answers that did not help, it holds every "did you mean" list (`suggest`) and every pick from one
 * (`picked`): a list the customer picked from was no gap, one they never picked from (they left,
 * asked otherwise, or said 都不是) is. Both the live stream and its archived copy are read through
 * here, so they agree.
 */
import type { KnowledgeGap } from './types.ts';

/** A gaps-stream row as stored (field values as written by append-15.lua). */
export interface RawGap {
  id: string;
  conv: string;
  reason: string;
  text: string;
  faqId: string | null;
  /** ms */
  at: number;
}

/** What a stored reason means to editors; null: a marker (a pick) or nothing known. */
function reasonOf(stored: string): KnowledgeGap['reason'] | null {
  if (stored === 'not_helpful') return 'not_helpful';
  if (stored === 'suggest') return 'suggested';
  if (stored === 'picked') return null;
  return 'unanswered';
}

/** The gaps in `rows` (any order), newest first: lists later picked from, and the picks, left out. */
export function openGaps(rows: readonly RawGap[]): KnowledgeGap[] {
  const byTime = [...rows].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const settled = new Set<string>();
  /** Per conversation, its latest list not yet picked from. */
  const openList = new Map<string, string>();
  for (const r of byTime) {
    if (r.reason === 'suggest') openList.set(r.conv, r.id);
    else if (r.reason === 'picked') {
      const list = openList.get(r.conv);
      if (list) settled.add(list);
      openList.delete(r.conv);
    }
  }
  const out: KnowledgeGap[] = [];
  for (const r of byTime) {
    const reason = reasonOf(r.reason);
    if (!reason || settled.has(r.id) || (reason === 'suggested' && !r.text)) continue;
    out.push({ id: r.id, conv: r.conv, reason, text: r.text, faqId: r.faqId, at: new Date(r.at).toISOString() });
  }
  return out.reverse();
}
