import type { Matcher } from './engine/matcher.ts';

export interface EvalCase {
  q: string;
  /** The entry that answers it, or null when the knowledge base should not answer. */
  expect: string | null;
  /** The kind of question (close, colloquial, typo, trap, …): `kb eval --by-type` groups by it. */
  type?: string;
  /** A look-alike question: the entry it resembles but does not mean. */
  resembles?: string;
  /** Where the case was read from (its line in the cases file), for error messages. */
  line?: number;
}

/** Counts of one group of cases (all of them, or one type). */
export interface EvalCounts {
  cases: number;
  inScope: number;
  outOfScope: number;
  correct: number;
  wrong: number;
  helpful: number;
  oosAnswered: number;
  /** Look-alike cases answered with the entry they only resemble. */
  lookalikes: number;
  lookalikeAnswered: number;
}

export interface EvalReport extends EvalCounts {
  /** The same counts per case type (cases without a type count as "untyped"). */
  byType: Map<string, EvalCounts>;
  /** Per-question match time, ms, ascending. */
  latencies: number[];
  /** One line per question not answered correctly. */
  misses: string[];
  /**
   * Questions not answered only because an entry was lowered (contrast.ts, aspects.ts): in scope
   * with the expected entry held back (wording the editor can add as an alternate), and out of scope.
   */
  heldBack: { inScope: number; outOfScope: number };
}

export const rate = (n: number, d: number): number => (d === 0 ? 0 : n / d);

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const emptyCounts = (): EvalCounts => ({ cases: 0, inScope: 0, outOfScope: 0, correct: 0, wrong: 0, helpful: 0, oosAnswered: 0, lookalikes: 0, lookalikeAnswered: 0 });

/**
 * correct / wrong / helpful are shares of the in-scope questions (helpful: answered right, or
 * the right entry among the "did you mean" suggestions); oosAnswered of the out-of-scope ones;
 * lookalikeAnswered of the look-alikes (answered with the entry they resemble, whatever their scope).
 */
export function evaluate(matcher: Matcher, cases: readonly EvalCase[]): EvalReport {
  for (const c of cases) matcher.match(c.q); // warm-up: lazily built caches, JIT
  const r: EvalReport = { ...emptyCounts(), byType: new Map(), latencies: [], misses: [], heldBack: { inScope: 0, outOfScope: 0 } };
  for (const c of cases) {
    const t0 = performance.now();
    const m = matcher.match(c.q);
    r.latencies.push(performance.now() - t0);
    const type = c.type ?? 'untyped';
    let group = r.byType.get(type);
    if (!group) r.byType.set(type, (group = emptyCounts()));
    const answered = m.decision === 'answer';
    const held = answered ? null : matcher.heldBack(c.q);
    const why = held ? `; held back ${held.id}: ${held.note}` : '';
    const both = (f: (x: EvalCounts) => void): void => {
      f(r);
      f(group);
    };
    both((x) => x.cases++);
    if (c.resembles !== undefined) {
      both((x) => x.lookalikes++);
      if (answered && m.id === c.resembles) both((x) => x.lookalikeAnswered++);
    }
    if (c.expect === null) {
      both((x) => x.outOfScope++);
      if (held) r.heldBack.outOfScope++;
      if (answered) {
        both((x) => x.oosAnswered++);
        r.misses.push(`out of scope answered [${type}]: ${c.q} -> ${m.id} (${m.score})`);
      }
      continue;
    }
    both((x) => x.inScope++);
    const ok = answered && m.id === c.expect;
    const suggested = m.decision === 'suggest' && m.candidates.some((x) => x.id === c.expect);
    if (ok) both((x) => x.correct++);
    else if (answered) both((x) => x.wrong++);
    if (ok || suggested) both((x) => x.helpful++);
    if (held?.id === c.expect) r.heldBack.inScope++;
    if (!ok) {
      r.misses.push(`${answered ? 'wrong' : m.decision} [${type}]: ${c.q} -> ${m.id} (${m.score}), expected ${c.expect}${suggested ? ' (suggested)' : ''}${why}`);
    }
  }
  r.latencies.sort((a, b) => a - b);
  return r;
}
