import type { KnowledgeBase, Thresholds } from '../types.ts';
import type { CompiledKb } from './compile.ts';
import { dataLines } from './lexicon.ts';
import { cutForIndex, idfOf, RARE_IDF } from './segmenter.ts';
import { isCjkWord, normalize } from './text.ts';

/**
 * A knowledge base's own operating point, found without labelled traffic: how confidently does
 * the engine match this FAQ's own phrasings when they are held out, and how confidently does it
 * match look-alikes made from them (the same question about a thing this FAQ never mentions)?
 * The answer threshold is set where the held-out phrasings are answered as often as possible while
 * look-alikes are not; `kb eval`/`kb lint` report the rates it expects.
 */

/** Ranks one question against a (variant of the) knowledge base: best first, with confidences. */
export type Ranker = (kb: KnowledgeBase) => (q: string) => { id: string; score: number; lowered?: unknown }[];

export interface SelfCalibration {
  thresholds: Thresholds;
  /** What the knowledge base's own material predicts at those thresholds. */
  expected: Expected;
  /** The same at the global default thresholds. */
  atDefault: Expected;
}

export interface Expected {
  heldOut: number;
  answeredRight: number;
  answeredWrong: number;
  lookalikes: number;
  lookalikeAnswered: number;
}

const FOLDS = 3;
/** The confidence that counts against the answer threshold: none for an entry that is never answered (Matcher.match). */
const answerable = (r: { score: number; lowered?: unknown } | undefined): number => (r && !r.lowered ? r.score : 0);

/** Cost of a wrong answer, or an answered look-alike, in right answers (as `npm run calibrate`). */
const WRONG_COST = 8;
/** Thresholds stay within this band around the global default: a small FAQ is weak evidence. */
const BAND = 0.15;

let nouns: string[] | undefined;
const lookalikeNouns = (): string[] => (nouns ??= dataLines('lookalike-nouns-zh.txt'));

interface Sample {
  expect: string | null;
  top: string | null;
  conf: number;
}

/** The entry's phrasings: its question, then its alternates. */
const phrasingsOf = (e: KnowledgeBase['entries'][number]): string[] => [e.question, ...e.alternates];

/** Held-out phrasings: K variants of the knowledge base, each missing a third of every entry's phrasings. */
function heldOut(kb: KnowledgeBase, rank: Ranker): Sample[] {
  const samples: Sample[] = [];
  for (let fold = 0; fold < FOLDS; fold++) {
    const held: { q: string; id: string }[] = [];
    const entries = kb.entries.map((e) => {
      const all = phrasingsOf(e);
      if (all.length < 2) return e;
      const keep = all.filter((_, i) => i % FOLDS !== fold);
      all.forEach((q, i) => i % FOLDS === fold && held.push({ q, id: e.id }));
      if (keep.length === 0) return e;
      return { ...e, question: keep[0]!, alternates: keep.slice(1) };
    });
    if (held.length === 0) continue;
    const ask = rank({ ...kb, entries });
    for (const h of held) {
      const r = ask(h.q);
      samples.push({ expect: h.id, top: r[0]?.id ?? null, conf: answerable(r[0]) });
    }
  }
  return samples;
}

/** Look-alikes: each phrasing with its most specific word swapped for a thing this FAQ never names. */
export function makeLookalikes(kb: KnowledgeBase, compiled: CompiledKb): { q: string; resembles: string }[] {
  const known = (w: string): boolean => compiled.postings.has(w) || compiled.lexicon.concepts(w).some((c) => compiled.postings.has(c));
  const pool = lookalikeNouns().filter((w) => !known(normalize(w)));
  if (pool.length === 0) return [];
  const out: { q: string; resembles: string }[] = [];
  let n = 0;
  for (const e of kb.entries) {
    for (const p of phrasingsOf(e)) {
      const text = normalize(p);
      let best = '';
      let weight = 0;
      for (const w of cutForIndex(text)) {
        if (!isCjkWord(w) || w.length < 2 || compiled.lexicon.fillerFactor(w) < 1) continue;
        const x = (Math.min(idfOf(w), RARE_IDF) / RARE_IDF) * compiled.idf(w);
        if (x > weight) [best, weight] = [w, x];
      }
      if (best) out.push({ q: text.replace(best, pool[n++ % pool.length]!), resembles: e.id });
    }
  }
  return out;
}

function lookalikes(kb: KnowledgeBase, compiled: CompiledKb, ask: (q: string) => { id: string; score: number }[]): Sample[] {
  return makeLookalikes(kb, compiled).map(({ q }) => {
    const r = ask(q);
    return { expect: null, top: r[0]?.id ?? null, conf: answerable(r[0]) };
  });
}

/**
 * @param defaults the global thresholds (calibration.json): the band this search stays in
 */
export function selfCalibrate(kb: KnowledgeBase, compiled: CompiledKb, rank: Ranker, defaults: Thresholds): SelfCalibration {
  const positives = heldOut(kb, rank);
  const negatives = lookalikes(kb, compiled, rank(kb));
  const grid: number[] = [];
  for (let t = defaults.answer - BAND; t <= defaults.answer + BAND + 1e-9; t += 0.01) grid.push(Math.round(t * 100) / 100);
  const at = (t: number) => {
    let right = 0;
    let wrong = 0;
    let look = 0;
    for (const s of positives) {
      if (s.conf < t) continue;
      if (s.top === s.expect) right++;
      else wrong++;
    }
    for (const s of negatives) if (s.conf >= t) look++;
    return { right, wrong, look };
  };
  let answer = defaults.answer;
  if (positives.length >= 10 && negatives.length >= 10) {
    // Rates, not counts: a knowledge base's phrasings and its look-alikes weigh the same.
    let best = -Infinity;
    for (const t of grid) {
      const o = at(t);
      const value = (o.right - WRONG_COST * o.wrong) / positives.length - (WRONG_COST / 4) * (o.look / negatives.length);
      if (value > best + 1e-9) [best, answer] = [value, t];
    }
  }
  const expected = (t: number): Expected => {
    const o = at(t);
    return { heldOut: positives.length, answeredRight: o.right, answeredWrong: o.wrong, lookalikes: negatives.length, lookalikeAnswered: o.look };
  };
  return { thresholds: { answer, suggest: Math.min(defaults.suggest, answer) }, expected: expected(answer), atDefault: expected(defaults.answer) };
}
