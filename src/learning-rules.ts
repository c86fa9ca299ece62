/**
 * Rules of learning from traffic that the knowledge side (which proposes and adopts) and the
 * handoff side (which stores decisions in Redis) must read the same way; both import them here.
 */

/** The fewest agreeing conversations an editor may let adopt a phrasing automatically. */
export const MIN_AUTO_THRESHOLD = 2;

/** How a decision on one phrasing of one entry is keyed (dismissed, adopted). */
export const decisionKey = (faqId: string, key: string): string => `${faqId}|${key}`;
