/** One FAQ entry, as loaded from `knowledge-base/**.md` (see docs/knowledge-base.md). */
export interface FaqEntry {
  id: string;
  question: string;
  alternates: string[];
  keywords: string[];
  tags: string[];
  /** First tag, or `uncategorized`: the entry's category in reports. */
  category: string;
  /** Editor-controlled position in the top-10 menu (1 = first); absent = not in the menu. */
  menu?: number;
  /** Ids of entries offered as "related questions" after this answer. */
  related: string[];
  /** Answer body, markdown as written. */
  answer: string;
  /** Path relative to the knowledge-base root, with forward slashes. */
  file: string;
  /** Unknown front-matter fields, kept for forward compatibility. */
  extra: Record<string, unknown>;
}

/** Editor-maintained extras found in `_*.yml` files of the knowledge base. */
export interface KbExtras {
  /** Groups of words that mean the same in this product ("会员", "VIP", "专业版"). */
  synonyms: string[][];
  /** Extra words for the segmenter (product names, feature names). */
  words: string[];
}

export interface KnowledgeBase {
  root: string;
  entries: FaqEntry[];
  extras: KbExtras;
  /** When this version was loaded (ms since epoch). */
  loadedAt: number;
}

/** One problem in the knowledge-base files, reported as `file:line: message`. */
export interface KbProblem {
  /** Path relative to the knowledge-base root. */
  file: string;
  /** 1-based line; 1 when the problem concerns the whole file. */
  line: number;
  message: string;
  /** The other place a problem involves (a duplicate's twin), as named in `message`. */
  see?: { file: string; line: number };
}

export type Decision = 'answer' | 'suggest' | 'handoff';

export interface MatchCandidate {
  id: string;
  /** Confidence that this entry answers the question, 0..1. */
  score: number;
}

export interface MatchResult {
  decision: Decision;
  /** Best entry; null only for an empty knowledge base. */
  id: string | null;
  /** Confidence in `id`, 0..1. */
  score: number;
  /** Best entries first (at most 3 for `suggest`). */
  candidates: MatchCandidate[];
  /**
   * A message that asks two or three questions the FAQ answers with different entries ("怎么退款？
   * 还有发票怎么开"): each question with its entry, in the order asked; `id` is one of them. Absent
   * for a message that asks one thing (nearly all).
   */
  questions?: AnsweredQuestion[];
}

/** One of several questions in a message, answered with confidence by entry `id`. */
export interface AnsweredQuestion {
  id: string;
  score: number;
  /** The customer's words for it (the part of the message that asks it). */
  text: string;
}

export interface Thresholds {
  /** Confidence at or above which the bot answers directly. */
  answer: number;
  /** Confidence at or above which the bot suggests ("did you mean"); below: handoff. */
  suggest: number;
}
