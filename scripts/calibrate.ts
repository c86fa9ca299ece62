/**
 * Fits the confidence model (src/knowledge/engine/calibration.json) on labelled questions:
 * a logistic regression from match features to "this entry is the right answer", then the
 * default thresholds from the same data. Run after changing the features or the cases:
 *   npm run calibrate -- [--kb knowledge-base] [--cases test/cases/kb-cases.jsonl] [--dry-run]
 * Never fit on ../shared/eval: it is the check that the engine generalises.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadKnowledgeBase } from '../src/knowledge/loader.ts';
import { Matcher } from '../src/knowledge/engine/matcher.ts';
import { FEATURE_NAMES, sigmoid, type ConfidenceModel, type ModelInput } from '../src/knowledge/engine/model.ts';
import { readCases } from '../src/knowledge/cli/cases.ts';

const { values: args } = parseArgs({
  options: {
    kb: { type: 'string', default: 'knowledge-base' },
    cases: { type: 'string', default: 'test/cases/kb-cases.jsonl' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const modelFile = new URL('../src/knowledge/engine/calibration.json', import.meta.url);

const kb = await loadKnowledgeBase(args.kb!);
const matcher = new Matcher(kb);
const cases = readCases(readFileSync(args.cases!, 'utf8'));

interface Row { x: number[]; y: number }
const vec = (input: ModelInput): number[] => FEATURE_NAMES.map((n) => input[n]);
const rows: Row[] = [];
const ranked = cases.map((c) => ({ c, ranked: matcher.rank(c.q) }));
for (const { c, ranked: r } of ranked) for (const e of r) rows.push({ x: vec(e.input), y: e.id === c.expect ? 1 : 0 });

// Batch gradient descent with L2: the data are a few thousand rows of 9 features.
const dim = FEATURE_NAMES.length;
let w = new Array<number>(dim).fill(0);
let b = 0;
const lambda = 0.01;
const lr = 0.5;
for (let iter = 0; iter < 20_000; iter++) {
  const gw = new Array<number>(dim).fill(0);
  let gb = 0;
  for (const { x, y } of rows) {
    const p = sigmoid(b + x.reduce((s, xi, i) => s + xi * w[i]!, 0));
    const err = p - y;
    for (let i = 0; i < dim; i++) gw[i]! += err * x[i]!;
    gb += err;
  }
  w = w.map((wi, i) => wi - lr * (gw[i]! / rows.length + lambda * wi));
  b -= lr * (gb / rows.length);
}
const model: ConfidenceModel = {
  weights: { bias: round(b), ...Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, round(w[i]!)])) } as ConfidenceModel['weights'],
  thresholds: { answer: 0.5, suggest: 0.2 },
  fittedOn: `${args.cases} (${cases.length} questions, ${rows.length} candidate rows)`,
};
const scored = ranked.map(({ c, ranked: r }) => {
  const top = r[0];
  const conf = top ? sigmoid(model.weights.bias + FEATURE_NAMES.reduce((s, n) => s + model.weights[n] * top.input[n], 0)) : 0;
  const all = r.map((e) => ({ id: e.id, conf: sigmoid(model.weights.bias + FEATURE_NAMES.reduce((s, n) => s + model.weights[n] * e.input[n], 0)) }));
  return { expect: c.expect, top: top?.id ?? null, conf, all };
});

// Answer threshold: a wrong answer or an answered out-of-scope question costs far more than
// a "did you mean" list, so weigh them 8:1 against a correct direct answer.
const grid = Array.from({ length: 91 }, (_, i) => 0.05 + i * 0.01);
const inScope = scored.filter((s) => s.expect !== null).length;
let bestA = { t: 0.5, value: -Infinity };
for (const t of grid) {
  let value = 0;
  for (const s of scored) if (s.conf >= t) value += s.expect !== null && s.top === s.expect ? 1 : -8;
  if (value > bestA.value) bestA = { t, value };
}
// Suggest threshold: the lowest confidence at which a suggestion list is still useful for
// most questions; below it a person is the better offer.
let bestS = { t: 0.1, value: -Infinity };
for (const t of grid.filter((t) => t <= bestA.t)) {
  let value = 0;
  for (const s of scored) {
    if (s.conf < t || s.conf >= bestA.t) continue;
    const floor = Math.max(t / 2, s.conf / 4);
    const listed = s.all.filter((e, i) => i === 0 || e.conf >= floor).slice(0, 3).some((e) => e.id === s.expect);
    value += s.expect === null ? -0.5 : listed ? 1 : -1;
  }
  if (value > bestS.value) bestS = { t, value };
}
model.thresholds = { answer: round(bestA.t), suggest: round(bestS.t) };

const correct = scored.filter((s) => s.conf >= bestA.t && s.expect !== null && s.top === s.expect).length;
const wrong = scored.filter((s) => s.conf >= bestA.t && (s.expect === null || s.top !== s.expect)).length;
console.error(JSON.stringify(model, null, 2));
console.error(`answered correctly ${correct}/${inScope}, wrong or out-of-scope answered ${wrong}`);
if (!args['dry-run']) writeFileSync(modelFile, `${JSON.stringify(model, null, 2)}\n`);

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
