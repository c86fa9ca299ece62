import { KefuError } from '../errors.ts';
import type { KbProblem } from './types.ts';

/** "file:line: message"; a problem of the directory itself (file ".") is its message alone. */
export const formatProblem = (p: KbProblem): string => (p.file === '.' ? p.message : `${p.file}:${p.line}: ${p.message}`);

/** The knowledge base could not be loaded; nothing of it was applied. */
export class KnowledgeBaseInvalidError extends KefuError {
  readonly problems: KbProblem[];
  constructor(problems: KbProblem[]) {
    super(
      'KB_INVALID',
      `knowledge base has ${problems.length} problem(s):\n${problems.map(formatProblem).join('\n')}`,
    );
    this.problems = problems;
  }
}

export type KbEditCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'UNSAFE_TEXT' | 'KB_INVALID';

/**
 * Why an edit was refused. NOT_FOUND: no such entry; CONFLICT: the phrasing, id or file exists
 * already, or the file changed on disk meanwhile; INVALID: bad input; UNSAFE_TEXT: a text with a
 * control character, a lone surrogate or nothing visible (see safe-text.ts); KB_INVALID: the tree
 * does not lint (before the edit, or it would not after it: then nothing was changed), `problems`
 * says why.
 */
export class KbEditError extends KefuError {
  declare readonly code: KbEditCode;
  readonly problems: KbProblem[];
  constructor(code: KbEditCode, message: string, problems: KbProblem[] = []) {
    super(code, message);
    this.problems = problems;
  }
}
