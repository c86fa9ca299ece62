import { z } from 'zod';
import type { LineProblem, YamlPath } from './frontmatter.ts';
import { unsafeText } from './safe-text.ts';

// Messages are predicates; the loader prefixes the field (`"alternates" item 2 must not be empty`).

// An empty YAML value (`question:` or `- `) parses as null: report it as empty, not as the wrong type.
const text = z.preprocess(
  (v) => (v === null ? '' : v),
  z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be text') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .superRefine(refuseUnsafe),
);

/** Control characters, lone surrogates and invisible-only text (see safe-text.ts), as a zod issue. */
export function refuseUnsafe(s: string, ctx: z.core.$RefinementCtx<string>): void {
  const bad = unsafeText(s);
  if (bad) ctx.addIssue({ code: 'custom', message: bad.message });
}

/** Keywords and tags are single words; a comma means the editor wrote a list as one string. */
const word = text.refine((s) => !/[,，、]/.test(s), {
  error: 'contains a comma: write several words as a list, e.g. [退款, 退钱]',
});

const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { error: 'must be a list of non-empty strings' })
    .nullish()
    .transform((v) => v ?? []);

/** A lone string is accepted as a one-word list: `tags: billing`. */
const wordList = z.preprocess((v) => (typeof v === 'string' ? [v] : v), list(word));

const unique = (items: string[]): string[] => [...new Set(items)];

export const entryId = text.refine((s) => !/[\s/]/.test(s), {
  error: 'must not contain whitespace or "/"',
});

const positiveInt = 'must be a positive integer (1 = first in the menu)';

export const frontMatterSchema = z.looseObject({
  question: text,
  alternates: list(text).transform(unique),
  keywords: wordList.transform(unique),
  tags: wordList.transform(unique),
  id: entryId.optional(),
  menu: z.number({ error: positiveInt }).int({ error: positiveInt }).min(1, { error: positiveInt }).optional(),
  related: list(entryId),
});

export type FrontMatter = z.output<typeof frontMatterSchema>;
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(Object.keys(frontMatterSchema.shape));

export const synonymsSchema = z
  .array(
    z
      .array(text, { error: 'must be a list of words, e.g. [会员, VIP]' })
      .transform(unique)
      .refine((g) => g.length >= 2, { error: 'needs at least 2 different words' }),
    { error: 'must be a list of synonym groups, e.g. "- [会员, VIP]"' },
  )
  .nullable()
  .transform((v) => v ?? []);

export const wordsSchema = z
  .array(text, { error: 'must be a list of words, e.g. "- 专业版"' })
  .nullable()
  .transform((v) => v ?? []);

/** Turns zod issues into file-line problems, labelling each issue path for humans. */
export function issueProblems(
  error: z.ZodError,
  lineOf: (path: YamlPath) => number,
  label: (path: YamlPath) => string,
): LineProblem[] {
  return error.issues.map((iss) => ({
    line: lineOf(iss.path),
    message: `${label(iss.path)} ${iss.message}`,
  }));
}
