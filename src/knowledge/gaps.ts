/**
 * The questions the FAQ missed (or whose answer did not help), grouped by similarity for editors:
 * "这个能导出 gif 吗" and "怎么导出GIF动图" are one missing entry, not two.
 *
 * Each text becomes a weighted set of features computed the engine's way: normalized
 * (width, case, spaces), segmented by the same jieba instance, synonyms folded to their concept
 * (the knowledge base's `_synonyms.yml` plus the engine's lexicon), chat filler ("怎么", "吗")
 * weighed down, words weighed by jieba's IDF, plus the character bigrams of the informative part.
 * Texts that differ only in width, case, spaces or punctuation count as one; then a greedy pass,
 * most frequent text first, puts each text into the group whose label it is most similar to
 * (weighted Jaccard at or above `threshold`; an inverted index over the labels' features finds the
 * candidates) or starts a new group: at most O(texts x groups), usually far less. The matcher then
 * runs once per returned group for the suggested entry.
 */
import type { Matcher } from './engine/matcher.ts';
import { buildLexicon, type Lexicon } from './engine/lexicon.ts';
import { cut, cutForIndex, idfOf, RARE_IDF } from './engine/segmenter.ts';
import { charBigrams, normalize } from './engine/text.ts';
import { MAX_QUERY_CHARS } from './engine/query.ts';
import { phraseKey } from './edit.ts';

/** A question the FAQ did not answer, as the handoff records it (KnowledgeGap). */
export interface GapInput {
  text: string;
  /** suggested: a "did you mean" list the customer never picked from. */
  reason: 'unanswered' | 'not_helpful' | 'suggested';
  /** ISO time. */
  at: string;
  /** The conversation it came from. */
  conv?: string;
  /** For not_helpful: the entry whose answer did not help. */
  faqId?: string | null;
}

export interface GapExample {
  text: string;
  /** How often this exact text (normalized) was asked. */
  count: number;
  lastAt: string;
  /** The newest conversation that asked it. */
  conv: string;
  /** The entry that has this phrasing as its question or an alternate by now (null: none yet). */
  covered: string | null;
}

export interface GapGroup {
  /** The group's most asked text (its first, most central member). */
  label: string;
  count: number;
  /** Up to 5 distinct texts, newest first. */
  examples: GapExample[];
  reasons: { unanswered: number; not_helpful: number; suggested: number };
  /** Entries whose answer did not help, with how often. */
  notHelpful: { id: string; count: number }[];
  /** The entry the matcher finds closest to the label, even below its thresholds (null: none). */
  suggested: { id: string; question: string; score: number } | null;
  lastAt: string;
}

export interface GroupGapsOptions {
  /** Weighted Jaccard similarity to a group's label needed to join it; default 0.4. */
  threshold?: number;
  /** Examples per group; default 5. */
  examples?: number;
  /** Return only the biggest groups (default: all); the matcher runs only for those. */
  limit?: number;
}

const BIGRAM_WEIGHT = 0.25;
const LONE_CHAR_IDF = 5;

interface Features {
  weights: Map<string, number>;
  total: number;
}

interface Distinct {
  key: string;
  text: string;
  count: number;
  lastAt: string;
  conv: string;
  unanswered: number;
  /** "Did you mean" lists never picked from. */
  suggested: number;
  notHelpful: Map<string, number>;
  notHelpfulCount: number;
  features: Features;
  /** Conversations counted already, and `conv|reason` pairs: one customer asking once is one, whatever the bot tried. */
  convs: Set<string>;
  convReasons: Set<string>;
}

/** Groups `gaps` (any order) into similar questions, the biggest group first. */
export function groupGaps(gaps: readonly GapInput[], matcher: Matcher, opts: GroupGapsOptions = {}): GapGroup[] {
  const threshold = opts.threshold ?? 0.4;
  const maxExamples = opts.examples ?? 5;
  const lexicon = buildLexicon(matcher.kb.extras);
  const phrasings = new Map<string, string>();
  for (const e of matcher.kb.entries) for (const p of [e.question, ...e.alternates]) if (!phrasings.has(phraseKey(p))) phrasings.set(phraseKey(p), e.id);

  const byKey = new Map<string, Distinct>();
  for (const g of gaps) {
    const text = g.text.trim();
    const norm = normalize(text).slice(0, MAX_QUERY_CHARS);
    // The same question typed with other spaces or punctuation ("能导出 GIF 吗" / "能导出GIF吗？").
    const key = phraseKey(norm);
    if (!key) continue;
    let d = byKey.get(key);
    if (!d) {
      d = {
        key,
        text,
        count: 0,
        lastAt: '',
        conv: '',
        unanswered: 0,
        suggested: 0,
        notHelpful: new Map(),
        notHelpfulCount: 0,
        features: features(norm, lexicon),
        convs: new Set(),
        convReasons: new Set(),
      };
      byKey.set(key, d);
    }
    // A "did you mean" never picked, then 都不是 and no answer, is one question of one customer.
    if (g.conv) {
      const pair = `${g.conv}|${g.reason}|${g.faqId ?? ''}`;
      if (d.convReasons.has(pair)) continue;
      d.convReasons.add(pair);
      if (!d.convs.has(g.conv)) {
        d.convs.add(g.conv);
        d.count++;
      }
    } else d.count++;
    if (g.at > d.lastAt || !d.lastAt) {
      d.lastAt = g.at;
      d.text = text;
      d.conv = g.conv ?? '';
    }
    if (g.reason === 'not_helpful') {
      d.notHelpfulCount++;
      if (g.faqId) d.notHelpful.set(g.faqId, (d.notHelpful.get(g.faqId) ?? 0) + 1);
    } else if (g.reason === 'suggested') {
      d.suggested++;
    } else {
      d.unanswered++;
    }
  }

  // Most asked first, so each group's label is its most frequent text; ties: newest first.
  const distinct = [...byKey.values()].sort((a, b) => b.count - a.count || cmpDesc(a.lastAt, b.lastAt) || cmp(a.key, b.key));
  const groups: { label: Distinct; members: Distinct[] }[] = [];
  // Feature -> the groups whose label has it: the shared weight with every candidate label in one
  // walk over the question's features, no pairwise comparison with unrelated groups.
  const index = new Map<string, number[]>();
  const shared = new Float64Array(distinct.length);
  for (const d of distinct) {
    const touched: number[] = [];
    for (const [k, w] of d.features.weights) {
      for (const gi of index.get(k) ?? []) {
        if (shared[gi] === 0) touched.push(gi);
        shared[gi]! += Math.min(w, groups[gi]!.label.features.weights.get(k)!);
      }
    }
    let best = -1;
    let bestSim = threshold;
    for (const gi of touched) {
      const s = shared[gi]!;
      shared[gi] = 0;
      const sim = s / (d.features.total + groups[gi]!.label.features.total - s);
      if (sim >= bestSim && (sim > bestSim || best < 0 || gi < best)) {
        best = gi;
        bestSim = sim;
      }
    }
    if (best >= 0) {
      groups[best]!.members.push(d);
      continue;
    }
    const gi = groups.push({ label: d, members: [d] }) - 1;
    for (const k of d.features.weights.keys()) {
      const list = index.get(k);
      if (list) list.push(gi);
      else index.set(k, [gi]);
    }
  }

  const biggest = groups
    .map((g) => ({ ...g, count: g.members.reduce((n, m) => n + m.count, 0), lastAt: g.members.reduce((t, m) => (m.lastAt > t ? m.lastAt : t), '') }))
    .sort((a, b) => b.count - a.count || cmpDesc(a.lastAt, b.lastAt))
    .slice(0, opts.limit ?? groups.length);
  return biggest.map(({ label, members, count, lastAt }): GapGroup => {
    const notHelpful = new Map<string, number>();
    for (const m of members) for (const [id, n] of m.notHelpful) notHelpful.set(id, (notHelpful.get(id) ?? 0) + n);
    const newest = [...members].sort((a, b) => cmpDesc(a.lastAt, b.lastAt));
    return {
      label: label.text,
      count,
      examples: newest
        .slice(0, maxExamples)
        .map((m) => ({ text: m.text, count: m.count, lastAt: m.lastAt, conv: m.conv, covered: phrasings.get(m.key) ?? null })),
      reasons: {
        unanswered: members.reduce((n, m) => n + m.unanswered, 0),
        not_helpful: members.reduce((n, m) => n + m.notHelpfulCount, 0),
        suggested: members.reduce((n, m) => n + m.suggested, 0),
      },
      notHelpful: [...notHelpful].map(([id, n]) => ({ id, count: n })).sort((a, b) => b.count - a.count || cmp(a.id, b.id)),
      suggested: suggestion(matcher, label.text),
      lastAt,
    };
  });
}

function suggestion(matcher: Matcher, text: string): GapGroup['suggested'] {
  const r = matcher.match(text);
  const best = r.candidates[0];
  if (!best || best.score <= 0) return null;
  const entry = matcher.entry(best.id);
  return entry ? { id: best.id, question: entry.question, score: best.score } : null;
}

/**
 * Weighted features of normalized text, like the matcher's query terms: words and their
 * dictionary sub-words ("开发票" also yields "发票"), each as its synonym concepts when it has some,
 * weighed by IDF and filler factor; character bigrams of the informative words.
 */
function features(text: string, lexicon: Lexicon): Features {
  const weights = new Map<string, number>();
  const put = (key: string, w: number): void => void weights.set(key, Math.max(weights.get(key) ?? 0, w));
  const informative = cut(text).map((word) => (lexicon.fillerFactor(word) >= 0.5 ? word : ' '));
  for (const word of cutForIndex(text)) {
    const idf = word.length === 1 ? Math.min(idfOf(word), LONE_CHAR_IDF) : idfOf(word);
    const w = (Math.min(idf, RARE_IDF) / RARE_IDF) * lexicon.fillerFactor(word);
    if (w <= 0) continue;
    const concepts = lexicon.concepts(word);
    if (concepts.length === 0) put(`w:${word}`, w);
    for (const c of concepts) put(c, w);
  }
  for (const b of charBigrams(informative.join(''))) put(`b:${b}`, BIGRAM_WEIGHT);
  let total = 0;
  for (const w of weights.values()) total += w;
  return { weights, total };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const cmpDesc = (a: string, b: string): number => cmp(b, a);
