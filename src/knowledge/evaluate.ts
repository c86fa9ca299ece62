import type { Matcher } from './engine/matcher.ts';

export interface EvalCase {
  q: string;
  /** The entry that answers it, or null when the knowledge base should not answer. */
  expect: string | null;
}

export interface EvalReport {
  cases: number;
  inScope: number;
  outOfScope: number;
  correct: number;
  wrong: number;
  helpful: number;
  oosAnswered: number;
  /** Per-question match time, ms, ascending. */
  latencies: number[];
  /** One line per question not answered correctly. */
  misses: string[];
}

export const rate = (n: number, d: number): number => (d === 0 ? 0 : n / d);

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * correct / wrong / helpful are shares of the in-scope questions (helpful: answered right, or
 * the right entry among the "did you mean" suggestions); oosAnswered of the out-of-scope ones.
 */
export function evaluate(matcher: Matcher, cases: readonly EvalCase[]): EvalReport {
  for (const c of cases) matcher.match(c.q); // warm-up: lazily built caches, JIT
  const r: EvalReport = { cases: cases.length, inScope: 0, outOfScope: 0, correct: 0, wrong: 0, helpful: 0, oosAnswered: 0, latencies: [], misses: [] };
  for (const c of cases) {
    const t0 = performance.now();
    const m = matcher.match(c.q);
    r.latencies.push(performance.now() - t0);
    const answered = m.decision === 'answer';
    if (c.expect === null) {
      r.outOfScope++;
      if (answered) {
        r.oosAnswered++;
        r.misses.push(`out of scope answered: ${c.q} -> ${m.id} (${m.score})`);
      }
      continue;
    }
    r.inScope++;
    const ok = answered && m.id === c.expect;
    const suggested = m.decision === 'suggest' && m.candidates.some((x) => x.id === c.expect);
    if (ok) r.correct++;
    else if (answered) r.wrong++;
    if (ok || suggested) r.helpful++;
    if (!ok) {
      r.misses.push(`${answered ? 'wrong' : m.decision}: ${c.q} -> ${m.id} (${m.score}), expected ${c.expect}${suggested ? ' (suggested)' : ''}`);
    }
  }
  r.latencies.sort((a, b) => a - b);
  return r;
}
