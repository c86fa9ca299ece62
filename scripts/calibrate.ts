/**
 * Fits the confidence model (src/knowledge/engine/calibration.json) on labelled questions:
 * a logistic regression from match features to "this entry is the right answer", then the
 * default thresholds from the same data.
 *
 *   npm run calibrate [-- --set KB_DIR:CASES.jsonl ...] [--dry-run]
 *
 * The default sets are the product's knowledge base and the evaluation fixtures under
 * test/fixtures/eval (other products, written apart from the engine). Before fitting on all of
 * them it reports leave-one-set-out results: each set scored by a model fitted without it,
 * which is the honest estimate for a knowledge base the engine has never seen.
 * Never fit on the evaluation set kept outside the repository (see test/knowledge/matching.test.ts):
 * it is the check that the engine generalises.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readCases } from '../src/knowledge/cli/cases.ts';
import { Matcher } from '../src/knowledge/engine/matcher.ts';
import { FEATURE_NAMES, sigmoid, type ConfidenceModel, type ModelInput } from '../src/knowledge/engine/model.ts';
import { loadKnowledgeBase } from '../src/knowledge/loader.ts';
import type { Thresholds } from '../src/knowledge/types.ts';

const root = path.resolve(import.meta.dirname, '..');
const fixtures = path.join(root, 'test/fixtures/eval');
const defaultSets = [
  `${path.join(root, 'knowledge-base')}:${path.join(root, 'test/cases/kb-cases.jsonl')}`,
  ...readdirSync(fixtures).map((d) => `${path.join(fixtures, d, 'kb')}:${path.join(fixtures, d, 'cases.jsonl')}`),
];
const { values: args } = parseArgs({
  options: { set: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean', default: false } },
});

/** Every shortlisted entry of one question, with whether it is the expected one. */
interface Question { expect: string | null; ranked: { id: string; x: number[] }[] }
interface DataSet { name: string; questions: Question[] }

const vec = (input: ModelInput): number[] => FEATURE_NAMES.map((n) => input[n]);

async function loadSet(spec: string): Promise<DataSet> {
  const [kbDir, casesFile] = spec.split(':') as [string, string];
  const matcher = new Matcher(await loadKnowledgeBase(kbDir));
  const questions = readCases(readFileSync(casesFile, 'utf8'), casesFile).map((c) => ({
    expect: c.expect,
    ranked: matcher.rank(c.q).map((e) => ({ id: e.id, x: vec(e.input) })),
  }));
  return { name: path.relative(root, kbDir) || kbDir, questions };
}

// The best-ranked entry is what the bot acts on: its rows weigh more than the other
// shortlisted entries (mostly easy negatives). Each set weighs the same whatever its size, so
// the product's long case list does not teach its own style only.
const TOP_WEIGHT = 3;

function fit(sets: DataSet[]): ConfidenceModel['weights'] {
  const rows: { x: number[]; y: number; weight: number }[] = [];
  for (const set of sets) {
    const perQuestion = 100 / set.questions.length;
    for (const q of set.questions) {
      q.ranked.forEach((e, i) => rows.push({ x: e.x, y: e.id === q.expect ? 1 : 0, weight: perQuestion * (i === 0 ? TOP_WEIGHT : 1) }));
    }
  }
  const total = rows.reduce((s, r) => s + r.weight, 0);
  // Batch gradient descent with a little L2: a few thousand rows of nine features.
  const dim = FEATURE_NAMES.length;
  let w = new Array<number>(dim).fill(0);
  let b = 0;
  for (let iter = 0; iter < 8000; iter++) {
    const gw = new Array<number>(dim).fill(0);
    let gb = 0;
    for (const { x, y, weight } of rows) {
      const err = (sigmoid(b + x.reduce((s, xi, i) => s + xi * w[i]!, 0)) - y) * weight;
      for (let i = 0; i < dim; i++) gw[i]! += err * x[i]!;
      gb += err;
    }
    w = w.map((wi, i) => wi - 0.5 * (gw[i]! / total + 0.01 * wi));
    b -= 0.5 * (gb / total);
  }
  return { bias: round(b), ...Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, round(w[i]!)])) } as ConfidenceModel['weights'];
}

interface Scored { expect: string | null; top: string | null; all: { id: string; conf: number }[] }

function score(weights: ConfidenceModel['weights'], q: Question): Scored {
  const all = q.ranked
    .map((e) => ({ id: e.id, conf: sigmoid(weights.bias + FEATURE_NAMES.reduce((s, n, i) => s + weights[n] * e.x[i]!, 0)) }))
    .sort((a, b) => b.conf - a.conf);
  return { expect: q.expect, top: all[0]?.id ?? null, all };
}

const grid = Array.from({ length: 91 }, (_, i) => round(0.05 + i * 0.01));

/** What the bot would do with each question at these thresholds. */
function outcomes(scored: Scored[], t: Thresholds) {
  let correct = 0, wrong = 0, oosAnswered = 0, helped = 0, inScope = 0, oos = 0;
  for (const s of scored) {
    const conf = s.all[0]?.conf ?? 0;
    if (s.expect === null) {
      oos++;
      if (conf >= t.answer) oosAnswered++;
      continue;
    }
    inScope++;
    if (conf >= t.answer) {
      if (s.top === s.expect) {
        correct++;
        helped++;
      } else wrong++;
    } else if (conf >= t.suggest) {
      const floor = Math.max(t.suggest / 2, conf / 4);
      if (s.all.filter((e, i) => i === 0 || e.conf >= floor).slice(0, 3).some((e) => e.id === s.expect)) helped++;
    }
  }
  return { correct, wrong, oosAnswered, helped, inScope, oos };
}

/**
 * Answer threshold: a wrong answer or an answered out-of-scope question costs eight correct
 * direct answers (a "did you mean" list is the cheap alternative). Suggest threshold: the
 * highest that keeps the questions helped within one point of the most this model can help,
 * since a list that misses costs the customer little and below it a person takes over.
 */
function thresholds(scored: Scored[]): Thresholds {
  let answer = 0.5;
  let best = -Infinity;
  for (const t of grid) {
    const o = outcomes(scored, { answer: t, suggest: t });
    const value = o.correct - 8 * (o.wrong + o.oosAnswered);
    if (value > best) {
      best = value;
      answer = t;
    }
  }
  const most = outcomes(scored, { answer, suggest: grid[0]! }).helped;
  const inScope = scored.filter((s) => s.expect !== null).length;
  let suggest = grid[0]!;
  for (const t of grid.filter((t) => t <= answer)) if (outcomes(scored, { answer, suggest: t }).helped >= most - 0.01 * inScope) suggest = t;
  return { answer, suggest };
}

function report(name: string, scored: Scored[], t: Thresholds): string {
  const o = outcomes(scored, t);
  const pct = (n: number, d: number): string => `${((100 * n) / Math.max(d, 1)).toFixed(1)}%`;
  return `${name.padEnd(40)} correct ${pct(o.correct, o.inScope).padStart(6)}  wrong ${pct(o.wrong, o.inScope).padStart(5)}  oos answered ${pct(o.oosAnswered, o.oos).padStart(5)}  helpful ${pct(o.helped, o.inScope).padStart(6)}`;
}

const sets = await Promise.all((args.set ?? defaultSets).map(loadSet));
if (sets.length > 1) {
  console.error('leave one set out (fitted without the set it scores):');
  for (const held of sets) {
    const others = sets.filter((s) => s !== held);
    const weights = fit(others);
    const t = thresholds(others.flatMap((s) => s.questions.map((q) => score(weights, q))));
    console.error(`  ${report(held.name, held.questions.map((q) => score(weights, q)), t)}  (answer ${t.answer}, suggest ${t.suggest})`);
  }
}
const weights = fit(sets);
const all = sets.flatMap((s) => s.questions.map((q) => score(weights, q)));
const model: ConfidenceModel = {
  weights,
  thresholds: thresholds(all),
  fittedOn: sets.map((s) => `${s.name} (${s.questions.length})`).join(', '),
};
console.error('fitted on all sets:');
for (const s of sets) console.error(`  ${report(s.name, s.questions.map((q) => score(weights, q)), model.thresholds)}`);
console.error(JSON.stringify(model, null, 2));
if (!args['dry-run']) writeFileSync(path.join(root, 'src/knowledge/engine/calibration.json'), `${JSON.stringify(model, null, 2)}\n`);

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
