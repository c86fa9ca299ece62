/**
 * Machine-readable figures of the benchmarks, for `npm run bench` (bench/all.ts). With BENCH_JSON
 * set to a file path, each figure is appended to it as one JSON line
 *
 *   {"bench":"handoff","figure":"list 50 most urgent of 10000 waiting p99","value":7.01,"unit":"ms","target":"<= 50 ms","ok":true}
 *
 * Without BENCH_JSON nothing is written: the scripts' own output is what a person reads.
 *
 * `check: true` marks a correctness figure (lost or duplicated messages, wrong pages): a failed
 * check is a broken run, where a missed target is only a slow one.
 */
import { appendFileSync } from 'node:fs';

export interface Figure {
  bench: string;
  figure: string;
  value: number;
  /** 'ms', 'msg/s', 'MB', 'x' (a ratio), '' (a count)… */
  unit: string;
  /** What it should be, e.g. "<= 50 ms"; absent = no target. */
  target?: string;
  /** Whether the target (or the check) holds; absent = no target. */
  ok?: boolean;
  /** A correctness check rather than a performance target. */
  check?: boolean;
}

export interface Goal {
  target: string;
  ok: boolean;
  check?: boolean;
}

export const atMost = (value: number, limit: number, unit: string): Goal => ({ target: `<= ${limit}${unit ? ` ${unit}` : ''}`, ok: value <= limit });
export const atLeast = (value: number, limit: number, unit: string): Goal => ({ target: `>= ${limit}${unit ? ` ${unit}` : ''}`, ok: value >= limit });
/** A correctness check: the count of problems must be 0. */
export const noneOf = (value: number): Goal => ({ target: '= 0', ok: value === 0, check: true });

export type Reporter = (figure: string, value: number, unit: string, goal?: Goal) => Figure;

/** A reporter for one benchmark: returns the figure, and appends it to $BENCH_JSON when set. */
export function reporter(bench: string): Reporter {
  const file = process.env.BENCH_JSON;
  return (figure, value, unit, goal) => {
    const f: Figure = { bench, figure, value, unit, ...(goal ? { target: goal.target, ok: goal.ok } : {}), ...(goal?.check ? { check: true } : {}) };
    if (file) appendFileSync(file, `${JSON.stringify(f)}\n`);
    return f;
  };
}

/** A value with its unit, as the tables show it. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case 'ms':
      return `${value.toFixed(value < 1 ? 3 : 2)} ms`;
    case 's':
      return `${value.toFixed(1)} s`;
    case 'x':
      return value.toFixed(2);
    case '':
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
    default:
      return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
  }
}

/** Prints figures as bench/console.ts does: figure, value, target, ok | MISS. */
export function printFigures(figures: Figure[]): void {
  const width = Math.max(48, ...figures.map((f) => f.figure.length));
  console.log(`${'figure'.padEnd(width)} ${'value'.padStart(10)}  ${'target'.padStart(10)}`);
  for (const f of figures) {
    const verdict = f.ok === undefined ? '' : f.ok ? '  ok' : '  MISS';
    console.log(`${f.figure.padEnd(width)} ${formatValue(f.value, f.unit).padStart(10)}  ${(f.target ?? '').padStart(10)}${verdict}`);
  }
}
