import Fuse from 'fuse.js';
import { pinyinRuns, type CompiledKb, type EntryDoc } from './compile.ts';
import type { Query, QueryPart, QueryTerm } from './query.ts';
import { cutForIndex } from './segmenter.ts';
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

function containsSeq(hay: string[], needle: string[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** A lone character: its word or synonyms in the entry, or at least inside one of its words. */
function charMatch(part: QueryPart, doc: EntryDoc): number {
  let m = doc.words.get(part.text) ?? 0;
  for (const c of part.concepts) m = Math.max(m, (doc.words.get(c) ?? 0) * CONCEPT_MATCH);
  for (const c of part.broader ?? []) m = Math.max(m, (doc.words.get(c) ?? 0) * BROADER_MATCH);
  if (m < CHAR_MATCH && doc.blob.includes(part.text)) m = CHAR_MATCH;
  return m;
}

/** Exact, synonym, substring and homophone evidence for one term in one entry, 0..1. */
export function termMatch(term: QueryTerm, doc: EntryDoc): number {
  let m = doc.words.get(term.text) ?? 0;
  if (m >= 1) return 1;
  for (const c of term.concepts) m = Math.max(m, (doc.words.get(c) ?? 0) * CONCEPT_MATCH);
  for (const c of term.broader ?? []) m = Math.max(m, (doc.words.get(c) ?? 0) * BROADER_MATCH);
  const cjk = isCjkWord(term.text);
  if (cjk && term.text.length === 1) return Math.max(m, charMatch(term, doc));
  if (cjk && term.text.length >= 2) {
    if (doc.blob.includes(term.text)) m = Math.max(m, SUBSTRING_MATCH);
    else if (doc.body.includes(term.text)) m = Math.max(m, SUBSTRING_MATCH / 2);
    if (m < PINYIN_MATCH) {
      term.pinyin ??= pinyinOf(term.text);
      const py = term.pinyin;
      if (pinyinRuns(doc).some((run) => containsSeq(run, py))) m = PINYIN_MATCH;
    }
    if (m < 0.5 && term.text.length >= 3) {
      let hit = 0;
      const chars = [...term.text];
      for (let i = 0; i + 1 < chars.length; i++) if (doc.bigrams.has(chars[i]! + chars[i + 1]!)) hit++;
      m = Math.max(m, (0.8 * hit) / (chars.length - 1));
    }
    if (m < SUBWORD_MATCH && term.text.length >= 3 && !term.parts) {
      term.subwords ??= cutForIndex(term.text).filter((w) => w !== term.text && w.length >= 2);
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

export function features(
  query: Query,
  doc: EntryDoc,
  kb: CompiledKb,
  typos: Map<string, Set<EntryDoc>>,
): Features {
  let total = 0;
  let covered = 0;
  let totalD = 0;
  let coveredD = 0;
  let miss = 0;
  let keyword = 0;
  const matched = new Set<string>();
  for (const term of query.terms) {
    let m = termMatch(term, doc);
    if (m < TYPO_MATCH && typos.get(term.text)?.has(doc)) m = TYPO_MATCH;
    const d = term.weight * Math.max(kb.idf(term.text), 0.2);
    // The story around the question (and what the customer says they do not mean) counts when the
    // entry explains it, never against it: "三件套的锅具…少了个汤锅…这个怎么处理" is not a worse fit for
    // the missing-item entry because it never mentions pots.
    const side = term.focus !== undefined;
    total += side ? term.weight * m : term.weight;
    covered += term.weight * m;
    totalD += side ? d * m : d;
    coveredD += d * m;
    if (!side) miss = Math.max(miss, term.weight * (1 - m));
    if (m > 0.5) {
      matched.add(term.text);
      for (const c of term.concepts) matched.add(c);
    }
    if (
      m >= CONCEPT_MATCH &&
      (doc.keywords.has(term.text) ||
        term.concepts.some((c) => doc.keywords.has(c)) ||
        doc.keywordList.some((k) => term.text.includes(k)))
    ) {
      keyword = 1;
    }
  }

  let phrasing = 0;
  for (const p of doc.phrasings) {
    let inter = 0;
    let union = 0;
    for (const t of query.terms) {
      const hit = p.has(t.text) || t.concepts.some((c) => p.has(c)) || (t.broader?.some((c) => p.has(c)) ?? false);
      if (hit) inter += t.weight;
      union += t.weight;
    }
    // Words of the phrasing the customer did not say make it a worse fit; concept ids are
    // not words, so only surface words count.
    for (const w of p) if (!w.startsWith('§') && !matched.has(w)) union += query.weightOf.get(w) ?? 0.5;
    if (union > 0) phrasing = Math.max(phrasing, inter / union);
  }

  let bigramHits = 0;
  for (const b of query.bigrams) if (doc.bigrams.has(b)) bigramHits++;

  return {
    coverage: covered / Math.max(total, MIN_MASS),
    discriminative: coveredD / Math.max(totalD, MIN_MASS),
    phrasing,
    bigrams: query.bigrams.length > 0 ? bigramHits / query.bigrams.length : 0,
    miss,
    keyword,
    mass: Math.min(query.mass, 3) / 3,
    evidence: Math.min(covered, 2) / 2,
  };
}
