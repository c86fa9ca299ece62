import { KefuError } from '../errors.ts';
import type { KbProblem } from './types.ts';

export const formatProblem = (p: KbProblem): string => `${p.file}:${p.line}: ${p.message}`;

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
