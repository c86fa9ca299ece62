import Fuse from 'fuse.js';
import { MAX_PHRASING_BITS, pinyinNeedle, pinyinText, type CompiledKb, type EntryDoc } from './compile.ts';
import type { Query, QueryPart, QueryTerm } from './query.ts';
import { subwordsOf } from './segmenter.ts';
import { editDistance, isCjkWord, pinyinOf } from './text.ts';

/** A synonym is good evidence, but not as good as the customer's own word. */
const CONCEPT_MATCH = 0.85;
const SUBSTRING_MATCH = 0.9;
/** The customer names a thing, the entry its category ("猫" / "宠物"). */
export const BROADER_MATCH = 0.6;
/**
 * A word of the entry typed as its homophone ("退宽" for 退款): as good as a synonym. Input-method
 * slips keep the sound, so a whole-word homophone of the FAQ's own word is rarely a coincidence.
 */
export const PINYIN_MATCH = CONCEPT_MATCH;
const TYPO_MATCH = 0.7;
/** A dictionary sub-word of the customer's word in the entry ("发票" of "开发票"). */
const SUBWORD_MATCH = 0.8;
/** A lone character seen inside a word of the entry ("找" in "找回"): weak evidence. */
const CHAR_MATCH = 0.5;
/**
 * Coverage is measured against at least this much informative weight (about one ordinary
 * word), so a message of pure filler ("在吗") cannot be fully "covered" by any entry.
 */
const MIN_MASS = 0.6;

export interface Features {
  /** Share of the question's informative weight this entry covers. */
  coverage: number;
  /** The same, each term also weighted by how rare it is in this knowledge base. */
  discriminative: number;
  /** Closest single phrasing (question or alternate), weighted Jaccard. */
  phrasing: number;
  /** Share of the question's character bigrams found in the entry. */
  bigrams: number;
  /** Heaviest term the entry leaves unexplained (a strong word the FAQ never mentions). */
  miss: number;
  /** 1 when a keyword of the entry is in the question. */
  keyword: number;
  /** How much the question says at all (filler-only messages say little). */
  mass: number;
  /** Matched informative weight, capped: two strong shared words are better than one. */
  evidence: number;
}

/** A lone character: its word or synonyms in the entry, or at least inside one of its words. */
function charMatch(part: QueryPart, doc: EntryDoc): number {
  let m = doc.words.get(part.text) ?? 0;
  for (const c of part.concepts) m = Math.max(m, (doc.words.get(c) ?? 0) * CONCEPT_MATCH);
  for (const c of part.broader ?? []) m = Math.max(m, (doc.words.get(c) ?? 0) * BROADER_MATCH);
  if (m < CHAR_MATCH && doc.blob.includes(part.text)) m = CHAR_MATCH;
  return m;
}

/** What termMatch reads of a term's text alone, worked out once per text (see `textInfo`). */
interface TextInfo {
  cjk: boolean;
  /** Its characters (code points), for the bigram evidence of a long word. */
  chars: string[];
  /** pinyinNeedle of its syllables, when first needed. */
  needle?: string;
}

/**
 * Per-text facts shared by every question that uses the word: customers' vocabulary is small
 * next to their questions. Bounded: a flood of novel words starts it afresh.
 */
const textInfos = new Map<string, TextInfo>();
const MAX_TEXT_INFOS = 50_000;

function textInfo(text: string): TextInfo {
  let info = textInfos.get(text);
  if (!info) {
    if (textInfos.size >= MAX_TEXT_INFOS) textInfos.clear();
    info = { cjk: isCjkWord(text), chars: [...text] };
    textInfos.set(text, info);
  }
  return info;
}

/** Answers per entry kept at most (the words of its shortlisted questions; then it starts afresh). */
const MAX_PINYIN_ANSWERS = 512;

/** True when the entry's question, alternates or keywords hold these syllables in a row (a homophone of the word). */
function pinyinIn(doc: EntryDoc, needle: string): boolean {
  const seen = (doc.pinyinAnswers ??= new Map());
  let found = seen.get(needle);
  if (found === undefined) {
    if (seen.size >= MAX_PINYIN_ANSWERS) seen.clear();
    found = pinyinText(doc).includes(needle);
    seen.set(needle, found);
  }
  return found;
}

/** Exact, synonym, substring and homophone evidence for one term in one entry, 0..1. */
export function termMatch(term: QueryTerm, doc: EntryDoc): number {
  let m = doc.words.get(term.text) ?? 0;
  if (m >= 1) return 1;
  for (const c of term.concepts) m = Math.max(m, (doc.words.get(c) ?? 0) * CONCEPT_MATCH);
  if (term.broader) for (const c of term.broader) m = Math.max(m, (doc.words.get(c) ?? 0) * BROADER_MATCH);
  const info = textInfo(term.text);
  const cjk = info.cjk;
  if (cjk && term.text.length === 1) return Math.max(m, charMatch(term, doc));
  if (cjk && term.text.length >= 2) {
    if (doc.blob.includes(term.text)) m = Math.max(m, SUBSTRING_MATCH);
    else if (doc.body.includes(term.text)) m = Math.max(m, SUBSTRING_MATCH / 2);
    if (m < PINYIN_MATCH) {
      term.pinyin ??= pinyinOf(term.text);
      info.needle ??= pinyinNeedle(term.pinyin);
      if (pinyinIn(doc, info.needle)) m = PINYIN_MATCH;
    }
    if (m < 0.5 && term.text.length >= 3) {
      let hit = 0;
      const chars = info.chars;
      for (let i = 0; i + 1 < chars.length; i++) if (doc.bigrams.has(chars[i]! + chars[i + 1]!)) hit++;
      m = Math.max(m, (0.8 * hit) / (chars.length - 1));
    }
    if (m < SUBWORD_MATCH && term.text.length >= 3 && !term.parts) {
      term.subwords ??= subwordsOf(term.text);
      for (const w of term.subwords) m = Math.max(m, SUBWORD_MATCH * (doc.words.get(w) ?? 0));
    }
    if (term.parts && m < CHAR_MATCH) {
      let sum = 0;
      for (const part of term.parts) sum += charMatch(part, doc);
      m = Math.max(m, sum / term.parts.length);
    }
  }
  return m;
}

/**
 * English typos ("watermrk", "iphnoe") against the words of the short candidate list only:
 * fuzzy search over a whole knowledge base would cost milliseconds per question.
 */
export function typoMatches(terms: QueryTerm[], docs: EntryDoc[]): Map<string, Set<EntryDoc>> {
  const found = new Map<string, Set<EntryDoc>>();
  const latin = terms.filter((t) => /^[a-z][a-z0-9]{3,}$/.test(t.text));
  if (latin.length === 0) return found;
  const vocab = [...new Set(docs.flatMap((d) => d.vocabulary))];
  const fuse = new Fuse(vocab, { includeScore: true, threshold: 0.34, ignoreLocation: true });
  for (const t of latin) {
    const words = fuse
      .search(t.text, { limit: 3 })
      .map((r) => r.item)
      .filter((w) => editDistance(w, t.text, 2) <= (t.text.length >= 7 ? 2 : 1));
    if (words.length === 0) continue;
    found.set(t.text, new Set(docs.filter((d) => words.some((w) => d.words.has(w)))));
  }
  return found;
}

/** What features() reads of the question alone, worked out once per question (not per entry). */
export interface QueryFacts {
  /** Per term, its IDF within the knowledge base (kb.idf). */
  idf: Float64Array;
  /** The terms' weights summed in order: every phrasing's union starts from it. */
  weightSum: number;
}

export function queryFacts(query: Query, kb: CompiledKb): QueryFacts {
  const idf = new Float64Array(query.terms.length);
  let weightSum = 0;
  query.terms.forEach((t, i) => {
    idf[i] = kb.idf(t.text);
    weightSum += t.weight;
  });
  return { idf, weightSum };
}

export function features(
  query: Query,
  doc: EntryDoc,
  facts: QueryFacts,
  typos: Map<string, Set<EntryDoc>>,
): Features {
  let total = 0;
  let covered = 0;
  let totalD = 0;
  let coveredD = 0;
  let miss = 0;
  let keyword = 0;
  const terms = query.terms;
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i]!;
    let m = termMatch(term, doc);
    if (m < TYPO_MATCH && typos.get(term.text)?.has(doc)) m = TYPO_MATCH;
    const d = term.weight * Math.max(facts.idf[i]!, 0.2);
    // The story around the question (and what the customer says they do not mean) counts when the
    // entry explains it, never against it: "三件套的锅具…少了个汤锅…这个怎么处理" is not a worse fit for
    // the missing-item entry because it never mentions pots.
    const side = term.focus !== undefined;
    total += side ? term.weight * m : term.weight;
    covered += term.weight * m;
    totalD += side ? d * m : d;
    coveredD += d * m;
    if (!side) miss = Math.max(miss, term.weight * (1 - m));
    if (
      m >= CONCEPT_MATCH &&
      (doc.keywords.has(term.text) ||
        term.concepts.some((c) => doc.keywords.has(c)) ||
        doc.keywordList.some((k) => term.text.includes(k)))
    ) {
      keyword = 1;
    }
  }

  let bigramHits = 0;
  for (const b of query.bigrams) if (doc.bigrams.has(b)) bigramHits++;

  return {
    coverage: covered / Math.max(total, MIN_MASS),
    discriminative: coveredD / Math.max(totalD, MIN_MASS),
    phrasing: phrasingFit(query, doc, facts),
    bigrams: query.bigrams.length > 0 ? bigramHits / query.bigrams.length : 0,
    miss,
    keyword,
    mass: Math.min(query.mass, 3) / 3,
    evidence: Math.min(covered, 2) / 2,
  };
}

/**
 * The closest single phrasing, weighted Jaccard: the weight of the question's terms a phrasing
 * holds (the word, a synonym concept or a category) over the weight of all of them plus 0.5 for
 * each word of the phrasing the customer did not say.
 *
 * A word the customer did say is always "said": every word of a phrasing is in the entry at full
 * strength (FIELD_STRENGTH.question = 1), so the term matches it fully (termMatch). Hence the
 * unsaid words of a phrasing are its surface words minus the terms it holds verbatim, each adding
 * 0.5 (weightOf knows only the question's own words). The sums add the same numbers in the same
 * order as a word-by-word walk, so the score is the same to the last bit, at a lookup per term.
 */
function phrasingFit(query: Query, doc: EntryDoc, facts: QueryFacts): number {
  const terms = query.terms;
  const count = doc.phrasings.length;
  if (count > MAX_PHRASING_BITS) return phrasingFitBySets(query, doc, facts);
  // Which phrasings hold each term (verbatim, and also by concept or category).
  const verbatim = new Array<number>(terms.length);
  const hits = new Array<number>(terms.length);
  const bits = doc.phrasingBits;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    const v = bits.get(t.text) ?? 0;
    let h = v;
    for (const c of t.concepts) h |= bits.get(c) ?? 0;
    if (t.broader) for (const c of t.broader) h |= bits.get(c) ?? 0;
    verbatim[i] = v;
    hits[i] = h;
  }
  let phrasing = 0;
  for (let p = 0; p < count; p++) {
    const bit = 1 << p;
    let inter = 0;
    let said = 0;
    for (let i = 0; i < terms.length; i++) {
      if (hits[i]! & bit) inter += terms[i]!.weight;
      if (verbatim[i]! & bit) said++;
    }
    let union = facts.weightSum;
    for (let unsaid = doc.phrasingWordCounts[p]! - said; unsaid > 0; unsaid--) union += UNSAID_WORD;
    if (union > 0) phrasing = Math.max(phrasing, inter / union);
  }
  return phrasing;
}

/** Weight of a phrasing's word the customer did not say. */
const UNSAID_WORD = 0.5;

/** phrasingFit for an entry with more phrasings than bits: set by set, the same sums. */
function phrasingFitBySets(query: Query, doc: EntryDoc, facts: QueryFacts): number {
  let phrasing = 0;
  doc.phrasings.forEach((set, p) => {
    let inter = 0;
    let said = 0;
    for (const t of query.terms) {
      if (set.has(t.text) || t.concepts.some((c) => set.has(c)) || (t.broader?.some((c) => set.has(c)) ?? false)) inter += t.weight;
      if (set.has(t.text)) said++;
    }
    let union = facts.weightSum;
    for (let unsaid = doc.phrasingWordCounts[p]! - said; unsaid > 0; unsaid--) union += UNSAID_WORD;
    if (union > 0) phrasing = Math.max(phrasing, inter / union);
  });
  return phrasing;
}
