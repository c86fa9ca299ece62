import { KefuError } from '../errors.ts';

export type HandoffErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'NOT_ASSIGNEE' | 'ILLEGAL_TRANSITION';

/** A transition the conversation's state does not allow; the state was left untouched. */
export class HandoffError extends KefuError {
  declare readonly code: HandoffErrorCode;
  /** The agent who owns the conversation (CONFLICT, NOT_ASSIGNEE). */
  readonly owner?: string;
  /** For ILLEGAL_TRANSITION: the status it was in and the one asked for. */
  readonly from?: string;
  readonly to?: string;

  constructor(code: HandoffErrorCode, message: string, details: { owner?: string; from?: string; to?: string } = {}) {
    super(code, message);
    Object.assign(this, details);
  }
}

/** Scripts report refusals as Redis errors "<CODE> <details>"; anything else is a real failure. */
export function fromScriptError(err: unknown, convId: string): unknown {
  const message = err instanceof Error ? err.message : '';
  const [code = '', ...rest] = message.replace(/^ERR /, '').split(' ');
  // NOT_ASSIGNEE carries the owner ('' = nobody) and, after it, what was refused.
  const [a = '', b = ''] = code === 'ILLEGAL_TRANSITION' || code === 'NOT_ASSIGNEE' ? rest : [rest.join(' ')];
  switch (code) {
    case 'NOT_FOUND':
      return new HandoffError('NOT_FOUND', `conversation ${convId} not found`);
    case 'CONFLICT':
      return new HandoffError('CONFLICT', `conversation ${convId} is owned by ${a || 'nobody'}`, { owner: a });
    case 'NOT_ASSIGNEE':
      return new HandoffError('NOT_ASSIGNEE', notAssignee(convId, a, b), { owner: a });
    case 'ILLEGAL_TRANSITION':
      return new HandoffError('ILLEGAL_TRANSITION', `conversation ${convId}: ${a} -> ${b} is not allowed`, { from: a, to: b });
    default:
      return err;
  }
}

function notAssignee(convId: string, owner: string, action: string): string {
  switch (action) {
    case 'resolve':
      return owner
        ? `only the assignee (${owner}) or a manager may resolve ${convId}`
        : `conversation ${convId} has no assignee: claim it first (or ask a manager) to resolve it`;
    case 'tag':
      return `conversation ${convId} is ${owner}'s: only they or a manager may change its tags`;
    case 'tag-resolved':
      return `conversation ${convId} was resolved by ${owner}: only they or a manager may change its tags`;
    default:
      return `only the assignee (${owner || 'nobody'}) may reply in ${convId}`;
  }
}
