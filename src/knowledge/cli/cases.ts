import { z } from 'zod';
import { KefuError } from '../../errors.ts';
import type { EvalCase } from '../evaluate.ts';

const caseSchema = z.object({ q: z.string(), expect: z.string().nullable() });

/** Parses a cases file: one `{"q": ..., "expect": id | null}` per line; blank lines skipped. */
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
      throw new KefuError('CASES_INVALID', `${file}:${i + 1}: expected {"q": string, "expect": string | null}`);
    }
    out.push(parsed.data);
  });
  return out;
}
