import { readFile } from 'node:fs/promises';
import { evaluate, percentile, type EvalCounts } from '../evaluate.ts';
import type { Thresholds } from '../types.ts';
import { readCases } from './cases.ts';
import { loadMatcher } from './load.ts';

const pct = (n: number, d: number): string => (d === 0 ? '   n/a' : `${((100 * n) / d).toFixed(1).padStart(5)}%`);

/** One line per case type: what each kind of question gets (in scope: right / wrong / helped; out of scope: answered). */
function typeLine(type: string, c: EvalCounts): string {
  const parts = [`${type.padEnd(12)} ${String(c.cases).padStart(4)}`];
  // A type with cases on both sides (look-alikes another entry answers) says how many are which.
  const mixed = c.inScope > 0 && c.outOfScope > 0;
  if (c.inScope > 0) parts.push(`${mixed ? `${c.inScope} in scope: ` : ''}correct ${pct(c.correct, c.inScope)}  wrong ${pct(c.wrong, c.inScope)}  helpful ${pct(c.helpful, c.inScope)}`);
  if (c.outOfScope > 0) parts.push(`${mixed ? `${c.outOfScope} out of scope: ` : ''}out-of-scope answered ${pct(c.oosAnswered, c.outOfScope)}`);
  if (c.lookalikes > 0) parts.push(`answered as the look-alike ${pct(c.lookalikeAnswered, c.lookalikes)}`);
  return parts.join('  ');
}

export async function runEval(kbDir: string, thresholds: Partial<Thresholds>, casesFile: string, verbose: boolean, byType = false): Promise<number> {
  let text: string;
  try {
    text = await readFile(casesFile, 'utf8');
  } catch (err) {
    process.stderr.write(`kb: cannot read the cases file ${casesFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}\n`);
    return 1;
  }
  const cases = readCases(text, casesFile);
  if (cases.length === 0) {
    process.stderr.write(`kb: ${casesFile} holds no cases: one {"q": "…", "expect": "entry-id"} per line (expect null: out of scope)\n`);
    return 1;
  }
  const matcher = await loadMatcher(kbDir, thresholds);
  if (!matcher) return 1;
  // A mistyped id would count as a wrong answer and skew every rate: refuse the file instead.
  const unknown = cases.flatMap((c) =>
    (['expect', 'resembles'] as const)
      .filter((field) => typeof c[field] === 'string' && !matcher.entry(c[field]))
      .map((field) => `${casesFile}:${c.line ?? '?'}: "${field}" names no entry of ${kbDir}: "${c[field]}"`),
  );
  if (unknown.length > 0) {
    for (const line of unknown) process.stderr.write(`${line}\n`);
    return 1;
  }
  const r = evaluate(matcher, cases);
  if (verbose) for (const m of r.misses) process.stdout.write(`${m}\n`);
  const t = matcher.thresholds;
  const lines = [
    `cases: ${r.cases} (${r.inScope} in scope, ${r.outOfScope} out of scope), thresholds answer ${t.answer} / suggest ${t.suggest}`,
    `correct answer:         ${pct(r.correct, r.inScope)}  (${r.correct}/${r.inScope})`,
    `wrong answer:           ${pct(r.wrong, r.inScope)}  (${r.wrong}/${r.inScope})`,
    `out-of-scope answered:  ${pct(r.oosAnswered, r.outOfScope)}  (${r.oosAnswered}/${r.outOfScope})`,
    `helpful:                ${pct(r.helpful, r.inScope)}  (${r.helpful}/${r.inScope}: answered right, or among the suggestions)`,
  ];
  const held = r.heldBack;
  if (held.inScope + held.outOfScope > 0) {
    // An entry would have answered but never speaks of what the question asks (or names its opposite).
    lines.push(
      `held back:              ${held.outOfScope} out of scope, ${held.inScope} in scope: not answered because the entry never mentions what they ask${held.inScope > 0 ? ' (--verbose says what; if the entry does answer them, add the wording as an alternate)' : ''}`,
    );
  }
  if (r.lookalikes > 0) lines.push(`look-alike answered:    ${pct(r.lookalikeAnswered, r.lookalikes)}  (${r.lookalikeAnswered}/${r.lookalikes}: answered with the entry it only resembles)`);
  lines.push(`latency: p50 ${percentile(r.latencies, 50).toFixed(3)} ms, p99 ${percentile(r.latencies, 99).toFixed(3)} ms`);
  if (byType) {
    lines.push('by type:');
    for (const [type, c] of [...r.byType].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${typeLine(type, c)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
