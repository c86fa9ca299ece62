export {
  AgentExistsError,
  AgentNotFoundError,
  AgentStore,
  DEFAULT_TOKEN_TTL_MS,
  ONLINE_WINDOW_MS,
  InvalidAgentError,
  LastAdminError,
  displayNameSchema,
  ROLES,
  hasRole,
  hashPassword,
  verifyPassword,
  type AddAgentInput,
  type AgentUpdate,
  type Agent,
  type AgentIssue,
  type AgentStoreOptions,
  type LoginResult,
  type Role,
} from './agents.ts';
export { DEFAULT_LOCKOUT, LoginThrottledError, type LockState, type LockoutPolicy } from './lockout.ts';
export {
  PASSWORD_MIN_LENGTH,
  generatePassword,
  passwordProblems,
  type PasswordProblem,
  type PasswordProblemCode,
} from './password-policy.ts';
