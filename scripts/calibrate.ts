/**
 * Fits the confidence model (src/knowledge/engine/calibration.json) on labelled questions:
 * a logistic regression from match features to "this entry is the right answer", then the
 * default thresholds from the same data.
 *
 *   npm run calibrate [-- --set KB_DIR:CASES.jsonl ...] [--holdout KB_DIR:CASES.jsonl ...] [--by-type] [--write]
 *
 * The sets fitted on are the product's knowledge base, the small fixtures under test/fixtures/eval
 * and the training domains under test/fixtures/domains (other industries' FAQs and customer
 * questions, written before anyone looked at how the engine fails), plus look-alikes made from
 * each knowledge base (see engine/self-calibrate.ts). Before fitting on all of them it reports
 * leave-one-set-out results: each set scored by a model fitted without it, the honest estimate
 * for a knowledge base the engine has never seen (`--by-type`: pooled per case type).
 * test/fixtures/holdout and ../shared/eval are only ever scored, never fitted on: they are the
 * check that the engine generalises. Nothing is written without `--write`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readCases } from '../src/knowledge/cli/cases.ts';
import { Matcher, reported, type Lowered } from '../src/knowledge/engine/matcher.ts';
import { FEATURE_NAMES, sigmoid, type ConfidenceModel, type ModelInput } from '../src/knowledge/engine/model.ts';
import { loadKnowledgeBase } from '../src/knowledge/loader.ts';
import type { Thresholds } from '../src/knowledge/types.ts';

const root = path.resolve(import.meta.dirname, '..');
/** Sets under these folders are fitted on: the product's FAQ, the small eval fixtures, the training domains. */
const trainDirs = ['test/fixtures/eval', 'test/fixtures/domains'];
/** Sets here are only ever scored: written blind, never fitted on, never tuned against. */
const holdoutDirs = ['test/fixtures/holdout', '../shared/eval'];
const specsUnder = (dir: string): string[] => {
  const abs = path.resolve(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((d) => existsSync(path.join(abs, d, 'cases.jsonl')))
    .sort()
    .map((d) => `${path.join(abs, d, 'kb')}:${path.join(abs, d, 'cases.jsonl')}`);
};
const defaultSets = [`${path.join(root, 'knowledge-base')}:${path.join(root, 'test/cases/kb-cases.jsonl')}`, ...trainDirs.flatMap(specsUnder)];
const { values: args } = parseArgs({
  options: {
    set: { type: 'string', multiple: true },
    holdout: { type: 'string', multiple: true },
    write: { type: 'boolean', default: false },
    'by-type': { type: 'boolean', default: false },
  },
});

/** Every shortlisted entry of one question, with whether it is the expected one. */
interface Question { expect: string | null; type: string; resembles?: string; ranked: { id: string; x: number[]; lowered: Lowered }[] }
interface DataSet { name: string; questions: Question[]; synthetic: Question[] }

const vec = (input: ModelInput): number[] => FEATURE_NAMES.map((n) => input[n]);

async function loadSet(spec: string): Promise<DataSet> {
  const [kbDir, casesFile] = spec.split(':') as [string, string];
  const matcher = new Matcher(await loadKnowledgeBase(kbDir));
  const questions = readCases(readFileSync(casesFile, 'utf8'), casesFile).map((c) => ({
    expect: c.expect,
    type: c.type ?? 'untyped',
    ...(c.resembles ? { resembles: c.resembles } : {}),
    ranked: matcher.rank(c.q).map((e) => ({ id: e.id, x: vec(e.input), lowered: e.lowered })),
  }));
  const named = path.basename(kbDir) === 'kb' ? path.dirname(kbDir) : kbDir;
  // Look-alikes made from the knowledge base itself teach the model what a trap looks like; they
  // are fitted on, never reported (the sets' own cases are what the figures count).
  const synthetic = matcher.lookalikes().map((l) => ({
    expect: null,
    type: 'synthetic',
    resembles: l.resembles,
    ranked: matcher.rank(l.q).map((e) => ({ id: e.id, x: vec(e.input), lowered: e.lowered })),
  }));
  return { name: path.relative(root, named), questions, synthetic };
}

// The best-ranked entry is what the bot acts on: its rows weigh more than the other
// shortlisted entries (mostly easy negatives). Each set weighs the same whatever its size, so
// the product's long case list does not teach its own style only.
const TOP_WEIGHT = 3;
/** Made-up look-alikes weigh as much, per set, as a fifth of its labelled questions. */
const SYNTHETIC_WEIGHT = 1;

function fit(sets: DataSet[]): ConfidenceModel['weights'] {
  const rows: { x: number[]; y: number; weight: number }[] = [];
  for (const set of sets) {
    const perQuestion = 100 / set.questions.length;
    for (const q of set.synthetic) {
      q.ranked.forEach((e, i) => rows.push({ x: e.x, y: 0, weight: (SYNTHETIC_WEIGHT * (100 / Math.max(set.synthetic.length, 1)) * (i === 0 ? TOP_WEIGHT : 1)) / 5 }));
    }
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

interface Scored { expect: string | null; type: string; resembles?: string; top: string | null; all: { id: string; conf: number; lowered: Lowered }[] }

function score(weights: ConfidenceModel['weights'], q: Question): Scored {
  const all = q.ranked
    // Contrasts and aspects lower a score after the model, here as in the matcher.
    .map((e) => ({ id: e.id, conf: reported(sigmoid(weights.bias + FEATURE_NAMES.reduce((s, n, i) => s + weights[n] * e.x[i]!, 0)), e.lowered), lowered: e.lowered }))
    .sort((a, b) => b.conf - a.conf);
  return { expect: q.expect, type: q.type, ...(q.resembles ? { resembles: q.resembles } : {}), top: all[0]?.id ?? null, all };
}

const grid = Array.from({ length: 91 }, (_, i) => round(0.05 + i * 0.01));

interface Outcomes { correct: number; wrong: number; oosAnswered: number; helped: number; inScope: number; oos: number; lookalikes: number; lookalikeAnswered: number }

/** What the bot would do with each question at these thresholds. */
function outcomes(scored: Scored[], t: Thresholds): Outcomes {
  const o: Outcomes = { correct: 0, wrong: 0, oosAnswered: 0, helped: 0, inScope: 0, oos: 0, lookalikes: 0, lookalikeAnswered: 0 };
  for (const s of scored) {
    // A lowered entry is never answered (Matcher.match): below the answer threshold whatever it is.
    const conf = s.all[0]?.lowered ? Math.min(s.all[0].conf, t.answer - 1e-9) : (s.all[0]?.conf ?? 0);
    if (s.resembles !== undefined) {
      o.lookalikes++;
      if (conf >= t.answer && s.top === s.resembles) o.lookalikeAnswered++;
    }
    if (s.expect === null) {
      o.oos++;
      if (conf >= t.answer) o.oosAnswered++;
      continue;
    }
    o.inScope++;
    if (conf >= t.answer) {
      if (s.top === s.expect) {
        o.correct++;
        o.helped++;
      } else o.wrong++;
    } else if (conf >= t.suggest) {
      const floor = Math.max(t.suggest / 2, conf / 4);
      if (s.all.filter((e, i) => i === 0 || e.conf >= floor).slice(0, 3).some((e) => e.id === s.expect)) o.helped++;
    }
  }
  return o;
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

const pct = (n: number, d: number): string => (d === 0 ? '   n/a' : `${((100 * n) / d).toFixed(1)}%`.padStart(6));

function report(name: string, scored: Scored[], t: Thresholds): string {
  const o = outcomes(scored, t);
  const look = o.lookalikes > 0 ? `  look-alike answered ${pct(o.lookalikeAnswered, o.lookalikes)}` : '';
  return `${name.padEnd(34)} n ${String(scored.length).padStart(3)}  correct ${pct(o.correct, o.inScope)}  wrong ${pct(o.wrong, o.inScope)}  oos answered ${pct(o.oosAnswered, o.oos)}  helpful ${pct(o.helped, o.inScope)}${look}`;
}

/** The same rates per case type, over every scored question given. */
function byType(scored: Scored[], t: Thresholds): string[] {
  const types = [...new Set(scored.map((s) => s.type))].sort();
  return types.map((type) => `    ${report(type, scored.filter((s) => s.type === type), t)}`);
}

const sets = await Promise.all((args.set ?? defaultSets).map(loadSet));
const holdouts = await Promise.all((args.holdout ?? holdoutDirs.flatMap(specsUnder)).map(loadSet));
const pooled: Scored[] = [];
if (sets.length > 1) {
  console.error('leave one set out (fitted without the set it scores, thresholds from the others):');
  for (const held of sets) {
    const others = sets.filter((s) => s !== held);
    const weights = fit(others);
    const t = thresholds(others.flatMap((s) => s.questions.map((q) => score(weights, q))));
    const scored = held.questions.map((q) => score(weights, q));
    // Pooled at each set's own threshold: what a never-seen knowledge base gets, type by type.
    pooled.push(...scored.map((s) => ({ ...s, all: s.all.map((e) => ({ ...e, conf: e.conf - t.answer + 0.5 })) })));
    console.error(`  ${report(held.name, scored, t)}  (answer ${t.answer}, suggest ${t.suggest})`);
  }
  if (args['by-type']) {
    console.error('  pooled by type (each question judged at its own left-out threshold):');
    for (const line of byType(pooled, { answer: 0.5, suggest: 0 })) console.error(line);
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
if (holdouts.length > 0) {
  console.error('held out (never fitted on):');
  for (const h of holdouts) {
    const scored = h.questions.map((q) => score(weights, q));
    console.error(`  ${report(h.name, scored, model.thresholds)}`);
    if (args['by-type']) for (const line of byType(scored, model.thresholds)) console.error(line);
  }
}
console.error(JSON.stringify(model, null, 2));
// Writing is explicit: a model fitted on more (and harder) sets can still make a knowledge base
// that was fine worse; compare the figures above with `kb eval` before replacing the shipped one.
if (args.write) writeFileSync(path.join(root, 'src/knowledge/engine/calibration.json'), `${JSON.stringify(model, null, 2)}\n`);
else console.error('(not written: add --write to replace src/knowledge/engine/calibration.json)');

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
