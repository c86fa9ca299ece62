import { z } from 'zod';
import { KefuError } from '../../errors.ts';
import type { EvalCase } from '../evaluate.ts';

const caseSchema = z.object({
  q: z.string(),
  expect: z.string().nullable(),
  /** What kind of question it is (close, colloquial, typo, pinyin, long, trap, …), for `--by-type`. */
  type: z.string().min(1).optional(),
  /** A look-alike: the entry it resembles but does not mean. */
  resembles: z.string().min(1).optional(),
});

/**
 * Parses a cases file: one `{"q": ..., "expect": id | null}` per line, optionally with `"type"` and
 * `"resembles"`; blank lines skipped.
 */
export function readCases(text: string, file = 'cases'): EvalCase[] {
  const out: EvalCase[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new KefuError('CASES_INVALID', `${file}:${i + 1}: not valid JSON`);
    }
    const parsed = caseSchema.safeParse(json);
    if (!parsed.success) {
      throw new KefuError('CASES_INVALID', `${file}:${i + 1}: expected {"q": string, "expect": string | null, "type"?: string, "resembles"?: string}`);
    }
    const { q, expect, type, resembles } = parsed.data;
    out.push({ q, expect, ...(type ? { type } : {}), ...(resembles ? { resembles } : {}), line: i + 1 });
  });
  return out;
}
