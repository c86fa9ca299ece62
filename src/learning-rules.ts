/**
 * Rules of learning from traffic that the knowledge side (which proposes and adopts) and the
 * handoff side (which stores decisions in Redis) must read the same way; both import them here.
 */

/** The fewest agreeing conversations an editor may let adopt a phrasing automatically. */
export const MIN_AUTO_THRESHOLD = 2;

/** What an automatic adoption logs: the knowledge side writes it, the handoff side keeps the audit list. */
export interface AdoptionFacts {
  faqId: string;
  text: string;
  /** The phrasing normalized (one decision per entry and key). */
  key: string;
  /** Agreeing conversations (and evidence entries) when it was adopted. */
  convs: number;
  count: number;
  kinds: Record<string, number>;
}

/** How a decision on one phrasing of one entry is keyed (dismissed, adopted). */
export const decisionKey = (faqId: string, key: string): string => `${faqId}|${key}`;
