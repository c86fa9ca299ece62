/**
 * What an account may be: the roles, the shape of each field and the password policy, checked
 * with zod; every issue of an input is reported at once (InvalidAgentError).
 */
import { z } from 'zod';
import { KefuError } from '../../errors.ts';
import { PASSWORD_MAX_LENGTH, passwordProblems } from './password-policy.ts';

export const ROLES = ['agent', 'editor', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

// ---------------------------------------------------------------------------------------------------------------
// Errors

export interface AgentIssue {
  /** The input field, e.g. "username", "roles", "password". */
  field: string;
  message: string;
  /** The same in zh-CN, for the console UI (password policy issues). */
  zh?: string;
}

export class InvalidAgentError extends KefuError {
  constructor(readonly issues: AgentIssue[]) {
    super('INVALID_AGENT', `invalid agent:\n${issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

export const usernameSchema = z
  .string()
  .min(2, 'must be at least 2 characters')
  .max(32, 'must be at most 32 characters')
  .regex(/^[a-z0-9_.-]+$/, 'may only contain a-z, 0-9, "_", "." and "-"');
/** Only the shape: the policy (passwordProblems) needs the account too, see `parse`. */
export const passwordSchema = z.string().max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
export const rolesSchema = z
  .array(z.enum(ROLES))
  .min(1, 'at least one role is required')
  .transform((roles) => ROLES.filter((r) => roles.includes(r)));
export const nameSchema = z.string().trim().min(1, 'must not be blank').max(64, 'must be at most 64 characters');
/** Short: it is said in a chat bubble ("您好，我是客服小美"); '' clears it. */
export const displayNameSchema = z
  .string()
  .trim()
  .max(16, 'must be at most 16 characters')
  .regex(/^[^\r\n{}]*$/, 'may not contain line breaks or braces');

/**
 * The password policy as one issue naming every problem ("must be at least 10 characters; is a
 * common password"), with its zh-CN text; null when the password may be set.
 */
function policyIssue(input: unknown): AgentIssue | null {
  const { username, name, password } = (input ?? {}) as Record<string, unknown>;
  // Not a string, or too long: passwordSchema's issue already.
  if (typeof password !== 'string' || password.length > PASSWORD_MAX_LENGTH) return null;
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const problems = passwordProblems(password, { username: text(username), name: text(name) });
  if (problems.length === 0) return null;
  return { field: 'password', message: problems.map((p) => p.message).join('; '), zh: problems.map((p) => p.zh).join('；') };
}

export const addSchema = z.object({
  username: usernameSchema,
  name: nameSchema.optional(),
  displayName: displayNameSchema.optional(),
  roles: rolesSchema,
  password: passwordSchema,
});

export const updateSchema = z
  .object({ name: nameSchema, displayName: displayNameSchema, roles: rolesSchema, disabled: z.boolean() })
  .partial()
  .strict();

/** What an admin may change of an account (each field optional); the password has its own call. */
export type AgentUpdate = z.input<typeof updateSchema>;

export type AddAgentInput = z.input<typeof addSchema>;

/** Parses with zod; with `policy`, the input's `password` must pass the password policy too. Every issue at once. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, policy = false): z.output<T> {
  const result = schema.safeParse(input);
  const issues: AgentIssue[] = result.success
    ? []
    : result.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(input)', message: i.message }));
  const weak = policy ? policyIssue(input) : null;
  if (weak) issues.push(weak);
  if (issues.length > 0 || !result.success) throw new InvalidAgentError(issues);
  return result.data;
}
