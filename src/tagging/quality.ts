/**
 * How good each tag's suggestions are, measured the only honest way: on conversations the model
 * did not learn from. The history is cut into folds by a hash of the conversation id; each fold is
 * predicted by a model trained on the others, so every past conversation is judged once, unseen.
 * A tag is applied automatically only if, judged so, at least AUTO_PRECISION of the conversations
 * it would have been applied to really carried it, over at least MIN_AUTO_SUPPORT of them.
 */
import { createHash } from 'node:crypto';
import { predict, trainModel, type TagModel, type TrainingDoc, type TrainOptions } from './model.ts';

/** The bar: a tag is applied without asking only when this share of its applications were right. */
export const AUTO_PRECISION = 0.9;
/** The probability from which a tag would be applied automatically. */
export const AUTO_THRESHOLD = 0.8;
/** Fewer judged applications than this prove nothing (3 of 3 is not 90%). */
export const MIN_AUTO_SUPPORT = 8;
/** Suggestions: at most this many, each at least this likely. */
export const SUGGEST_MAX = 3;
export const SUGGEST_THRESHOLD = 0.3;
export const FOLDS = 5;

export interface Rate {
  precision: number | null;
  recall: number | null;
  /** Conversations the rule picked the tag for (true + false positives). */
  predicted: number;
  correct: number;
}

export interface TagQuality {
  tag: string;
  /** Conversations with the tag in the judged history. */
  examples: number;
  suggest: Rate;
  auto: Rate;
  /** Whether the measured precision of auto-apply passed the bar (over enough applications). */
  autoEligible: boolean;
}

export interface DocWithId extends TrainingDoc {
  id: string;
}

/** Fold of a conversation: stable across trainings, so a conversation is always judged by the same split. */
export function foldOf(id: string, folds = FOLDS): number {
  return createHash('sha1').update(id).digest().readUInt32BE(0) % folds;
}

/** The tags a model suggests from its probabilities: the likeliest few above the floor. */
export function suggestedTags(probs: ReadonlyMap<string, number>): string[] {
  return [...probs.entries()]
    .filter(([, p]) => p >= SUGGEST_THRESHOLD)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, SUGGEST_MAX)
    .map(([t]) => t);
}

export const autoTags = (probs: ReadonlyMap<string, number>): string[] => [...probs.entries()].filter(([, p]) => p >= AUTO_THRESHOLD).map(([t]) => t);

export interface Judged {
  id: string;
  truth: readonly string[];
  probs: Map<string, number>;
}

/**
 * Every document predicted by a model that never saw it (k-fold). `train` is injectable so a test
 * can watch which documents each model learned from.
 */
export function crossPredict(
  docs: readonly DocWithId[],
  options: TrainOptions & { folds?: number; train?: (docs: readonly DocWithId[]) => TagModel } = {},
): Judged[] {
  const folds = options.folds ?? FOLDS;
  const train = options.train ?? ((d: readonly DocWithId[]) => trainModel(d, options));
  const out: Judged[] = [];
  for (let f = 0; f < folds; f++) {
    const test = docs.filter((d) => foldOf(d.id, folds) === f);
    if (test.length === 0) continue;
    const model = train(docs.filter((d) => foldOf(d.id, folds) !== f));
    for (const d of test) out.push({ id: d.id, truth: d.tags, probs: predict(model, d.features) });
  }
  return out;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);

function rate(judged: readonly Judged[], tag: string, picks: (j: Judged) => readonly string[]): Rate {
  let predicted = 0;
  let correct = 0;
  let actual = 0;
  for (const j of judged) {
    const has = j.truth.includes(tag);
    const picked = picks(j).includes(tag);
    if (has) actual++;
    if (picked) predicted++;
    if (picked && has) correct++;
  }
  return { precision: ratio(correct, predicted), recall: ratio(correct, actual), predicted, correct };
}

/** Per tag: suggestion and auto-apply precision and recall over judged conversations. */
export function measure(judged: readonly Judged[], tags: readonly string[]): TagQuality[] {
  return [...tags].sort().map((tag) => {
    const auto = rate(judged, tag, (j) => autoTags(j.probs));
    return {
      tag,
      examples: judged.filter((j) => j.truth.includes(tag)).length,
      suggest: rate(judged, tag, (j) => suggestedTags(j.probs)),
      auto,
      autoEligible: auto.predicted >= MIN_AUTO_SUPPORT && (auto.precision ?? 0) >= AUTO_PRECISION,
    };
  });
}

export interface Summary {
  micro: { precision: number | null; recall: number | null };
  macro: { precision: number | null; recall: number | null };
}

/** Micro (every decision counts once) and macro (every tag counts once) precision and recall. */
export function summarize(rows: readonly TagQuality[], which: 'suggest' | 'auto'): Summary {
  const r = rows.map((q) => ({ ...q[which], actual: q.examples }));
  const sum = (f: (x: (typeof r)[number]) => number): number => r.reduce((n, x) => n + f(x), 0);
  const mean = (xs: (number | null)[]): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 1000) / 1000 : null;
  };
  return {
    micro: { precision: ratio(sum((x) => x.correct), sum((x) => x.predicted)), recall: ratio(sum((x) => x.correct), sum((x) => x.actual)) },
    macro: { precision: mean(r.map((x) => x.precision)), recall: mean(r.map((x) => x.recall)) },
  };
}
