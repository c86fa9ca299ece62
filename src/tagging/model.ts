/**
 * The tag model: one logistic regression per tag (one-vs-rest) over present/absent features, each
 * conversation's vector scaled to unit length so a long chat does not shout. Logistic regression and
 * not naive Bayes because its probabilities are usable as they are: auto-apply is a threshold on
 * them, and naive Bayes puts nearly every conversation at 0 or 1. Training is plain SGD in a seeded
 * order: the same history gives the same model in every console.
 */
import { seededRandom } from '../random.ts';

export interface TrainingDoc {
  features: readonly string[];
  tags: readonly string[];
}

export interface TagWeights {
  bias: number;
  /** Feature -> weight; features the model never moved are left out. */
  weights: Record<string, number>;
}

export interface TagModel {
  /** Tag -> its regression. */
  tags: Record<string, TagWeights>;
  /** Tag -> conversations that carried it in the training data (also those too rare to model). */
  examples: Record<string, number>;
  /** Conversations trained on. */
  conversations: number;
}

export interface TrainOptions {
  epochs?: number;
  learningRate?: number;
  /** L2 penalty: keeps a word seen in two conversations from deciding a tag alone. */
  l2?: number;
  /** A word must appear in this many training conversations to be a feature (one-offs are memorisation). */
  minDf?: number;
  /** A tag needs this many examples to be modelled at all. */
  minExamples?: number;
  seed?: number;
}

export const TRAIN_DEFAULTS: Required<TrainOptions> = { epochs: 40, learningRate: 0.5, l2: 1e-3, minDf: 2, minExamples: 3, seed: 17 };
/** Weights this small change no probability that matters: dropped from the stored model. */
const PRUNE = 1e-4;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, z))));

const random = seededRandom;

function shuffled(n: number, rnd: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export function trainModel(docs: readonly TrainingDoc[], options: TrainOptions = {}): TagModel {
  const o = { ...TRAIN_DEFAULTS, ...options };
  const df = new Map<string, number>();
  const examples: Record<string, number> = {};
  for (const d of docs) {
    for (const f of new Set(d.features)) df.set(f, (df.get(f) ?? 0) + 1);
    for (const t of new Set(d.tags)) examples[t] = (examples[t] ?? 0) + 1;
  }
  const index = new Map<string, number>();
  for (const [f, n] of df) if (n >= o.minDf) index.set(f, index.size);
  const names = [...index.keys()];
  const rows = docs.map((d) => [...new Set(d.features)].map((f) => index.get(f)).filter((i): i is number => i !== undefined));
  const scale = rows.map((r) => (r.length ? 1 / Math.sqrt(r.length) : 0));
  const tags: Record<string, TagWeights> = {};
  for (const tag of Object.keys(examples).sort()) {
    if ((examples[tag] ?? 0) < o.minExamples) continue;
    const y = docs.map((d) => (d.tags.includes(tag) ? 1 : 0));
    const w = new Float64Array(names.length);
    let bias = 0;
    const rnd = random(o.seed);
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const lr = o.learningRate / (1 + epoch * 0.1);
      for (const i of shuffled(docs.length, rnd)) {
        const row = rows[i]!;
        const x = scale[i]!;
        let z = bias;
        for (const f of row) z += w[f]! * x;
        const g = sigmoid(z) - y[i]!;
        bias -= lr * g;
        for (const f of row) w[f] = w[f]! - lr * (g * x + o.l2 * w[f]!);
      }
    }
    const weights: Record<string, number> = {};
    for (let f = 0; f < names.length; f++) if (Math.abs(w[f]!) >= PRUNE) weights[names[f]!] = Math.round(w[f]! * 1e5) / 1e5;
    tags[tag] = { bias: Math.round(bias * 1e5) / 1e5, weights };
  }
  return { tags, examples, conversations: docs.length };
}

/** The model's features of a conversation that it knows, and the scale their weights get. */
function known(model: TagModel, tag: TagWeights, features: readonly string[]): { fs: string[]; x: number } {
  const fs = [...new Set(features)];
  // Scaled as in training: by how many of the conversation's features any tag's model knows.
  const vocab = modelVocabulary(model);
  const n = fs.filter((f) => vocab.has(f)).length;
  return { fs: fs.filter((f) => tag.weights[f] !== undefined), x: n ? 1 / Math.sqrt(n) : 0 };
}

const vocabularies = new WeakMap<TagModel, Set<string>>();
function modelVocabulary(model: TagModel): Set<string> {
  let v = vocabularies.get(model);
  if (!v) {
    v = new Set(Object.values(model.tags).flatMap((t) => Object.keys(t.weights)));
    vocabularies.set(model, v);
  }
  return v;
}

/** Tag -> probability that the conversation carries it, for every modelled tag. */
export function predict(model: TagModel, features: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tag, t] of Object.entries(model.tags)) {
    const { fs, x } = known(model, t, features);
    let z = t.bias;
    for (const f of fs) z += t.weights[f]! * x;
    out.set(tag, sigmoid(z));
  }
  return out;
}

/** The features that pushed a tag up most, strongest first (why the tag is suggested). */
export function reasons(model: TagModel, tag: string, features: readonly string[], limit = 3): string[] {
  const t = model.tags[tag];
  if (!t) return [];
  return known(model, t, features)
    .fs.map((f) => [f, t.weights[f]!] as const)
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([f]) => f);
}
