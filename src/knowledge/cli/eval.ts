import { readFile } from 'node:fs/promises';
import { evaluate, percentile } from '../evaluate.ts';
import type { Thresholds } from '../types.ts';
import { readCases } from './cases.ts';
import { loadMatcher } from './load.ts';

const pct = (n: number, d: number): string => (d === 0 ? '   n/a' : `${((100 * n) / d).toFixed(1).padStart(5)}%`);

export async function runEval(kbDir: string, thresholds: Partial<Thresholds>, casesFile: string, verbose: boolean): Promise<number> {
  const cases = readCases(await readFile(casesFile, 'utf8'), casesFile);
  const matcher = await loadMatcher(kbDir, thresholds);
  if (!matcher) return 1;
  const r = evaluate(matcher, cases);
  if (verbose) for (const m of r.misses) process.stdout.write(`${m}\n`);
  const t = matcher.thresholds;
  process.stdout.write(
    [
      `cases: ${r.cases} (${r.inScope} in scope, ${r.outOfScope} out of scope), thresholds answer ${t.answer} / suggest ${t.suggest}`,
      `correct answer:         ${pct(r.correct, r.inScope)}  (${r.correct}/${r.inScope})`,
      `wrong answer:           ${pct(r.wrong, r.inScope)}  (${r.wrong}/${r.inScope})`,
      `out-of-scope answered:  ${pct(r.oosAnswered, r.outOfScope)}  (${r.oosAnswered}/${r.outOfScope})`,
      `helpful:                ${pct(r.helpful, r.inScope)}  (${r.helpful}/${r.inScope}: answered right, or among the suggestions)`,
      `latency: p50 ${percentile(r.latencies, 50).toFixed(3)} ms, p99 ${percentile(r.latencies, 99).toFixed(3)} ms`,
    ].join('\n') + '\n',
  );
  return 0;
}
