/**
 * The tag suggester on a labelled set written by hand (test/fixtures/tagging):
 *
 *   npm run eval:tags
 *
 * 1. train.jsonl is the "past": cross-validated as the console does on a tenant's history (each
 *    conversation predicted by a model that never saw it), which decides the tags allowed to
 *    auto-apply (measured precision >= the bar over enough applications);
 * 2. the model trained on all of train.jsonl scores holdout.jsonl once: per tag precision and
 *    recall of the suggestions (the likeliest few above the floor) and of auto-apply (only the
 *    tags allowed by step 1), with micro and macro figures.
 */
import path from 'node:path';
import { featuresOf } from '../src/tagging/features.ts';
import { readLabelled } from '../src/tagging/fixtures.ts';
import { predict, trainModel } from '../src/tagging/model.ts';
import {
  AUTO_PRECISION,
  AUTO_THRESHOLD,
  crossPredict,
  measure,
  MIN_AUTO_SUPPORT,
  SUGGEST_MAX,
  SUGGEST_THRESHOLD,
  summarize,
  type Judged,
  type TagQuality,
} from '../src/tagging/quality.ts';

const dir = path.resolve(import.meta.dirname, '../test/fixtures/tagging');
const docsOf = (file: string) => readLabelled(path.join(dir, file)).map((c) => ({ id: c.id, tags: c.tags, features: featuresOf(c) }));
const train = docsOf('train.jsonl');
const holdout = docsOf('holdout.jsonl');

const pct = (x: number | null): string => (x === null ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);
function table(title: string, rows: readonly TagQuality[], eligible?: ReadonlySet<string>): void {
  console.log(`\n${title}`);
  console.log('tag        n   | suggest P   R      | auto P     R      applied | auto allowed');
  for (const q of rows) {
    const allowed = eligible ? eligible.has(q.tag) : q.autoEligible;
    console.log(
      `${q.tag.padEnd(6, '　')} ${String(q.examples).padStart(3)} | ${pct(q.suggest.precision)} ${pct(q.suggest.recall)} | ${pct(q.auto.precision)} ${pct(q.auto.recall)} ${String(q.auto.predicted).padStart(4)}    | ${allowed ? 'yes' : 'no'}`,
    );
  }
  for (const which of ['suggest', 'auto'] as const) {
    const s = summarize(rows, which);
    console.log(`${which.padEnd(7)} micro P ${pct(s.micro.precision)} R ${pct(s.micro.recall)} · macro P ${pct(s.macro.precision)} R ${pct(s.macro.recall)}`);
  }
}

console.log(`train ${train.length} conversations, holdout ${holdout.length}; suggest: top ${SUGGEST_MAX} with p >= ${SUGGEST_THRESHOLD}; auto: p >= ${AUTO_THRESHOLD}, allowed when held-out precision >= ${AUTO_PRECISION * 100}% over >= ${MIN_AUTO_SUPPORT} applications`);
const model = trainModel(train);
const tags = Object.keys(model.tags);
const cv = measure(crossPredict(train), tags);
table('1. train.jsonl, 5-fold cross-validation (what the console measures and shows managers):', cv);

const eligible = new Set(cv.filter((q) => q.autoEligible).map((q) => q.tag));
const raw: Judged[] = holdout.map((d) => ({ id: d.id, truth: d.tags, probs: predict(model, d.features) }));
// Auto-apply as the console does it: only the allowed tags ever reach the threshold.
const allowedOnly: Judged[] = raw.map((j) => ({ ...j, probs: new Map([...j.probs].filter(([t]) => eligible.has(t))) }));
const autoRows = measure(allowedOnly, tags);
const rows = measure(raw, tags).map((q, i) => ({ ...q, auto: autoRows[i]!.auto }));
table('2. holdout.jsonl, scored once by the model trained on all of train.jsonl (auto: allowed tags only):', rows, eligible);
